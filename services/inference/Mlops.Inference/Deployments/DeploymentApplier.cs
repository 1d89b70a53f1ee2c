using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Registry;
using Mlops.Inference.Models;
using Mlops.Inference.Telemetry;
using Mlops.Onnx.Ir;

namespace Mlops.Inference.Deployments;

/// <summary>
/// Brings one model's deployment (from a <c>DeploymentChanged</c> event or the registry's list at start) into this
/// pod: every route (champion, challenger, shadow — or those named in <see cref="InferenceOptions.Variants"/>) is
/// fetched, verified, cached by SHA-256 and hot-swapped into its variant's host; a variant that left the deployment is
/// unloaded. Revisions not newer than the last applied one are ignored. An artifact that fails verification is refused
/// and that variant's current version keeps serving; a registry that cannot be reached throws (the caller retries).
/// The version's registered feature-set version goes with it (see <see cref="RegistryModelVersionsClient"/>).
/// </summary>
public sealed class DeploymentApplier(
    ModelCatalog catalog,
    RegistryArtifactClient artifacts,
    RegistryModelVersionsClient versions,
    IOptions<InferenceOptions> options,
    ILogger<DeploymentApplier> logger)
{
    readonly ConcurrentDictionary<string, long> _applied = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <summary>The newest revision applied for <paramref name="modelName"/> (-1: none).</summary>
    public long AppliedRevision(string modelName) => _applied.GetValueOrDefault(modelName, -1);

    public async Task ApplyAsync(string modelName, IReadOnlyList<TrafficRoute> routes, long revision, CancellationToken cancellationToken)
    {
        if (!catalog.Serves(modelName))
        {
            return;
        }

        // The event consumer and the start-up reader may apply the same model at once; one at a time keeps order.
        var gate = _locks.GetOrAdd(modelName, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            await ApplyLockedAsync(modelName, routes, revision, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    async Task ApplyLockedAsync(string modelName, IReadOnlyList<TrafficRoute> routes, long revision, CancellationToken cancellationToken)
    {
        if (revision <= AppliedRevision(modelName))
        {
            logger.LogInformation("Ignoring deployment revision {Revision} of {Model}: revision {Applied} already applied", revision, modelName, AppliedRevision(modelName));
            return;
        }

        if (routes.Count == 0)
        {
            // The registry retired the model: it leaves this pod too (every loaded model scores every streamed vector,
            // so one kept loaded slows the rest). The default model's champion host stays, answering by its rule.
            logger.LogInformation("Deployment revision {Revision} of {Model} has no routes: the model was retired, its variants unload", revision, modelName);
        }

        var mine = routes.Where(r => catalog.ServesVariant(r.Alias)).ToList();
        foreach (var route in mine)
        {
            await LoadAsync(modelName, route, cancellationToken);
        }

        // Loaded before the routes switch, so an entity moved to a new variant finds it warm.
        catalog.SetRoutes(modelName, routes);
        // Hosts of variants no longer deployed go (one that never loaded too); the default model's empty champion host
        // stays as it is, answering by rule with its own reason.
        foreach (var host in catalog.HostsOf(modelName).Where(h => mine.All(r => r.Alias != h.Variant) && (h.Current is not null || !ReferenceEquals(h, catalog.Default))))
        {
            await catalog.RemoveAsync(host, $"variant {host.Variant} is not in deployment revision {revision}", cancellationToken);
        }

        _applied[modelName] = revision;
    }

    async Task LoadAsync(string modelName, TrafficRoute route, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var host = catalog.Host(modelName, route.Alias);
        var current = host.Current;
        if (current is not null && current.Version == route.Version && current.Variant == route.Alias
            && string.Equals(current.Sha256, route.ArtifactSha256, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        byte[] bytes;
        try
        {
            bytes = await artifacts.FetchAsync(route.ArtifactSha256, cancellationToken);
        }
        catch (InvalidDataException ex)
        {
            // Retrying would fetch the same bad bytes; the refusal is recorded and the variant's current model keeps answering.
            host.RecordRefusal(ex.Message);
            InferenceTelemetry.ModelLoads.Add(1, new KeyValuePair<string, object?>("outcome", "refused"));
            logger.LogError("Refused {Model} {Version} ({Variant}): {Reason}", modelName, route.Version, route.Alias, ex.Message);
            return;
        }

        // The registration says which feature set the version was trained on; streaming feeds it only that set's vectors.
        var featureSetVersion = await versions.FeatureSetVersionAsync(modelName, route.Version, cancellationToken);
        var path = await CacheAsync(settings.ArtifactCacheDirectory, route.ArtifactSha256, bytes, cancellationToken);
        var local = settings.LocalModels.FirstOrDefault(m => m.Name == modelName);
        var template = local ?? current ?? catalog.HostsOf(modelName).Select(h => h.Current).FirstOrDefault(c => c is not null) ?? new ModelDeployment { Name = modelName };
        var deployment = template with
        {
            Name = modelName,
            Version = route.Version,
            Path = path,
            Sha256 = route.ArtifactSha256,
            Features = local is { Features.Count: > 0 } ? local.Features : FeaturesOf(bytes) is { Count: > 0 } declared ? declared : template.Features,
            Variant = route.Alias,
            FeatureSetVersion = featureSetVersion ?? local?.FeatureSetVersion,
        };
        try
        {
            await host.LoadAsync(deployment, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Loading again would fail the same way; the host records why, its current version (if any) keeps answering,
            // and one variant that cannot load must not keep the others from loading.
            logger.LogError(ex, "Variant {Variant} of {Model} not loaded", route.Alias, modelName);
        }
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
