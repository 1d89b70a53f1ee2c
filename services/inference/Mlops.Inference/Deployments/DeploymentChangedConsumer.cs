using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Registry;
using Mlops.Inference.Models;

namespace Mlops.Inference.Deployments;

/// <summary>
/// Follows the registry: every model's <c>DeploymentChanged</c> is applied by <see cref="DeploymentApplier"/> (models
/// outside <c>Inference:Models</c>, when set, are ignored). A registry that cannot be reached throws, so the message
/// is retried.
/// </summary>
public sealed class DeploymentChangedConsumer(DeploymentApplier applier) : IConsumer<DeploymentChanged>
{
    public Task Consume(ConsumeContext<DeploymentChanged> context) =>
        applier.ApplyAsync(context.Message.ModelName, context.Message.Routes, context.Message.Revision, context.CancellationToken);
}

/// <summary>
/// One queue per pod (every pod must see every deployment), auto-deleted with the pod, handled one message at a
/// time so revisions apply in order.
/// </summary>
public sealed class DeploymentChangedConsumerDefinition : ConsumerDefinition<DeploymentChangedConsumer>
{
    public DeploymentChangedConsumerDefinition(IOptions<InferenceOptions> options, PodIdentity pod)
    {
        var configured = options.Value.DeploymentsEndpoint;
        EndpointName = string.IsNullOrWhiteSpace(configured) ? $"inference-deployments-{pod.Id}" : configured;
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<DeploymentChangedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.AutoDelete = true;
        }
    }
}

/// <summary>
/// This pod's identity: one per service container (not per process), however often the definition is resolved, so
/// two hosts in one process (tests) still get a queue each.
/// </summary>
public sealed class PodIdentity
{
    public string Id { get; } = Guid.NewGuid().ToString("N");
}
