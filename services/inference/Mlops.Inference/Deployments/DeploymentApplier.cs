using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Registry;
using Mlops.Inference.Models;
using Mlops.Inference.Telemetry;
using Mlops.Onnx.Ir;

namespace Mlops.Inference.Deployments;

/// <summary>
/// Brings one model's deployment (from a <c>DeploymentChanged</c> event or the registry's list at start) into this
/// pod: the route whose alias is <see cref="InferenceOptions.Alias"/> (or the largest share) is fetched, verified,
/// cached by SHA-256 and hot-swapped in. Revisions not newer than the last applied one are ignored. An artifact that
/// fails verification is refused and the current version keeps serving; a registry that cannot be reached throws
/// (the caller retries). The version's registered feature-set version goes with it (see <see cref="RegistryModelVersionsClient"/>).
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
        var settings = options.Value;
        if (revision <= AppliedRevision(modelName))
        {
            logger.LogInformation("Ignoring deployment revision {Revision} of {Model}: revision {Applied} already applied", revision, modelName, AppliedRevision(modelName));
            return;
        }

        var route = routes.FirstOrDefault(r => string.Equals(r.Alias, settings.Alias, StringComparison.Ordinal))
            ?? routes.OrderByDescending(r => r.TrafficPercent).FirstOrDefault();
        var host = catalog.Host(modelName);
        if (route is null)
        {
            // Nothing serves in the registry's view; this pod keeps its model rather than dropping to the rule.
            logger.LogWarning("Deployment revision {Revision} of {Model} has no routes; the current model keeps serving", revision, modelName);
            _applied[modelName] = revision;
            return;
        }

        var current = host.Current;
        if (current is not null && current.Version == route.Version && string.Equals(current.Sha256, route.ArtifactSha256, StringComparison.OrdinalIgnoreCase))
        {
            _applied[modelName] = revision;
            return;
        }

        byte[] bytes;
        try
        {
            bytes = await artifacts.FetchAsync(route.ArtifactSha256, cancellationToken);
        }
        catch (InvalidDataException ex)
        {
            // Retrying would fetch the same bad bytes; the refusal is recorded and the current model keeps answering.
            host.RecordRefusal(ex.Message);
            InferenceTelemetry.ModelLoads.Add(1, new KeyValuePair<string, object?>("outcome", "refused"));
            logger.LogError("Refused {Model} {Version}: {Reason}", modelName, route.Version, ex.Message);
            return;
        }

        // The registration says which feature set the version was trained on; streaming feeds it only that set's vectors.
        var featureSetVersion = await versions.FeatureSetVersionAsync(modelName, route.Version, cancellationToken);
        var path = await CacheAsync(settings.ArtifactCacheDirectory, route.ArtifactSha256, bytes, cancellationToken);
        var template = settings.LocalModels.FirstOrDefault(m => m.Name == modelName) ?? current ?? new ModelDeployment { Name = modelName };
        var deployment = template with
        {
            Name = modelName,
            Version = route.Version,
            Path = path,
            Sha256 = route.ArtifactSha256,
            Features = template.Features.Count > 0 ? template.Features : FeaturesOf(bytes),
            Variant = route.Alias,
            FeatureSetVersion = featureSetVersion ?? settings.LocalModels.FirstOrDefault(m => m.Name == modelName)?.FeatureSetVersion,
        };
        await host.LoadAsync(deployment, cancellationToken);
        _applied[modelName] = revision;
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
