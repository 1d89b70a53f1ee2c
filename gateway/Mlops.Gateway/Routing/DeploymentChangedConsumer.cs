using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Registry;

namespace Mlops.Gateway.Routing;

/// <summary>Follows the registry: a model's <c>DeploymentChanged</c> replaces its routes (when its revision is newer).</summary>
public sealed class DeploymentChangedConsumer(DeploymentTable table, ILogger<DeploymentChangedConsumer> logger) : IConsumer<DeploymentChanged>
{
    public Task Consume(ConsumeContext<DeploymentChanged> context)
    {
        var message = context.Message;
        var applied = table.Apply(message.ModelName, message.Revision, message.Routes ?? []);
        RoutingTelemetry.Deployments.Add(1, new("source", "event"), new("outcome", applied ? "applied" : "ignored"));
        logger.LogInformation(
            applied ? "Deployment revision {Revision} of {Model} applied: {Routes}" : "Deployment revision {Revision} of {Model} ignored (not newer): {Routes}",
            message.Revision, message.ModelName, string.Join(", ", (message.Routes ?? []).Select(r => $"{r.Alias}={r.Version}:{r.TrafficPercent}%/{r.MirrorPercent}%")));
        return Task.CompletedTask;
    }
}

/// <summary>
/// One queue per gateway replica (each must see every deployment, unlike a competing-consumer queue), auto-deleted
/// with the replica; a replica started later reads the registry's list first. One message at a time keeps order.
/// </summary>
public sealed class DeploymentChangedConsumerDefinition : ConsumerDefinition<DeploymentChangedConsumer>
{
    public DeploymentChangedConsumerDefinition(IOptions<VariantRoutingOptions> options, GatewayReplica replica)
    {
        var configured = options.Value.DeploymentsEndpoint;
        EndpointName = string.IsNullOrWhiteSpace(configured) ? $"gateway-deployments-{replica.Id}" : configured;
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<DeploymentChangedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.AutoDelete = true;
            rabbit.Durable = false;
        }
    }
}

/// <summary>This gateway replica's identity: one per host, however often the definition is resolved.</summary>
public sealed class GatewayReplica
{
    public string Id { get; } = Guid.NewGuid().ToString("N");
}
