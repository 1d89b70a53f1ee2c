using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Registry;
using Mlops.Inference.Models;
using Mlops.Inference.Telemetry;
using Mlops.Onnx.Ir;

namespace Mlops.Inference.Deployments;

/// <summary>
/// Follows the registry: when the route this pod serves (its model, its alias) moves to another artifact, fetches
/// and verifies it, keeps it in the local artifact cache by SHA-256 and hot-swaps through <see cref="ModelHost"/>.
/// An artifact that fails verification is refused and the current version keeps serving; a registry that cannot
/// be reached throws, so the message is retried.
/// </summary>
public sealed class DeploymentChangedConsumer(
    ModelHost host,
    RegistryArtifactClient artifacts,
    DeploymentRevision revision,
    IOptions<InferenceOptions> options,
    ILogger<DeploymentChangedConsumer> logger) : IConsumer<DeploymentChanged>
{
    public async Task Consume(ConsumeContext<DeploymentChanged> context)
    {
        var message = context.Message;
        var settings = options.Value;
        if (!string.Equals(message.ModelName, settings.ModelName, StringComparison.Ordinal))
        {
            return;
        }

        if (message.Revision <= revision.Applied)
        {
            logger.LogInformation("Ignoring deployment revision {Revision} of {Model}: revision {Applied} already applied", message.Revision, message.ModelName, revision.Applied);
            return;
        }

        var route = message.Routes.FirstOrDefault(r => string.Equals(r.Alias, settings.Alias, StringComparison.Ordinal))
            ?? message.Routes.OrderByDescending(r => r.TrafficPercent).FirstOrDefault();
        if (route is null)
        {
            // Nothing serves in the registry's view; this pod keeps its model rather than dropping to the rule.
            logger.LogWarning("Deployment revision {Revision} of {Model} has no routes; the current model keeps serving", message.Revision, message.ModelName);
            revision.Applied = message.Revision;
            return;
        }

        var current = host.Current;
        if (current is not null && current.Version == route.Version && string.Equals(current.Sha256, route.ArtifactSha256, StringComparison.OrdinalIgnoreCase))
        {
            revision.Applied = message.Revision;
            return;
        }

        byte[] bytes;
        try
        {
            bytes = await artifacts.FetchAsync(route.ArtifactSha256, context.CancellationToken);
        }
        catch (InvalidDataException ex)
        {
            // Retrying would fetch the same bad bytes; the refusal is recorded and the current model keeps answering.
            host.RecordRefusal(ex.Message);
            InferenceTelemetry.ModelLoads.Add(1, new KeyValuePair<string, object?>("outcome", "refused"));
            logger.LogError("Refused {Model} {Version}: {Reason}", message.ModelName, route.Version, ex.Message);
            return;
        }

        var path = await CacheAsync(settings.ArtifactCacheDirectory, route.ArtifactSha256, bytes, context.CancellationToken);
        var template = settings.Models.FirstOrDefault(m => m.Name == settings.ModelName) ?? current ?? new ModelDeployment { Name = settings.ModelName };
        var deployment = template with
        {
            Name = settings.ModelName,
            Version = route.Version,
            Path = path,
            Sha256 = route.ArtifactSha256,
            Features = template.Features.Count > 0 ? template.Features : FeaturesOf(bytes),
        };
        await host.LoadAsync(deployment, context.CancellationToken);
        revision.Applied = message.Revision;
    }

    static async Task<string> CacheAsync(string directory, string sha256, byte[] bytes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, sha256.Trim().ToLowerInvariant() + ".onnx");

        // Written beside and moved in, so a reader never sees half a file under the content address.
        var partial = path + "." + Guid.NewGuid().ToString("N") + ".partial";
        await File.WriteAllBytesAsync(partial, bytes, cancellationToken);
        File.Move(partial, path, overwrite: true);
        return path;
    }

    /// <summary>Feature order from the exporter's <c>mlops.features</c> metadata, for a model configured by name only.</summary>
    static List<string> FeaturesOf(byte[] bytes)
    {
        var entry = ModelProto.Parser.ParseFrom(bytes).MetadataProps.FirstOrDefault(p => p.Key == "mlops.features");
        return entry is null ? [] : [.. entry.Value.Split(',')];
    }
}

/// <summary>The newest deployment revision this pod has applied; older or repeated events are ignored.</summary>
public sealed class DeploymentRevision
{
    long _applied = -1;

    public long Applied
    {
        get => Volatile.Read(ref _applied);
        set => Volatile.Write(ref _applied, value);
    }
}

/// <summary>
/// One queue per pod (every pod must see every deployment), auto-deleted with the pod, handled one message at a
/// time so revisions apply in order.
/// </summary>
public sealed class DeploymentChangedConsumerDefinition : ConsumerDefinition<DeploymentChangedConsumer>
{
    // One name per process, however often the definition is resolved.
    static readonly string PodId = Guid.NewGuid().ToString("N");

    public DeploymentChangedConsumerDefinition(IOptions<InferenceOptions> options)
    {
        var configured = options.Value.DeploymentsEndpoint;
        EndpointName = string.IsNullOrWhiteSpace(configured)
            ? $"inference-deployments-{options.Value.ModelName}-{PodId}"
            : configured;
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
