using Microsoft.Extensions.Options;
using Mlops.Contracts.Registry;
using Mlops.Inference.Lineage;
using Mlops.Inference.Models;

namespace Mlops.Inference.Batch;

/// <summary>The model version a job scores with, resolved once at creation: everything a worker needs to load exactly it.</summary>
public sealed record ResolvedModel(string Name, string Version, string ArtifactSha256, IReadOnlyList<string> Features, string? FeatureSetVersion);

/// <summary>
/// Resolves a job's model: the version asked for, or the champion's when none is — a version this pod serves
/// (its deployment), else the registry's registration (artifact hash, feature-set version) with the input order of
/// the model's local template or a served version of it. Returns the field to blame when it cannot.
/// </summary>
public sealed class BatchModelResolver(ModelCatalog catalog, RegistryLineageClient registry, IOptions<InferenceOptions> options)
{
    /// <summary>The model, or the problem (field, message, whether it is a 404).</summary>
    public async Task<(ResolvedModel? Model, string? Field, string? Problem)> ResolveAsync(string name, string? version, CancellationToken cancellationToken)
    {
        var served = catalog.HostsOf(name).Select(h => h.Current).OfType<ModelDeployment>().ToList();
        if (version is null)
        {
            // The champion: loaded here, else as the registry routes it, else what answers unnamed requests here.
            var champion = catalog.HostsOf(name).FirstOrDefault(h => h.Variant == ModelAliases.Champion && h.Current is not null)?.Current;
            if (champion is not null)
            {
                return (Resolved(champion), null, null);
            }

            if (catalog.RoutesOf(name).FirstOrDefault(r => r.Alias == ModelAliases.Champion) is { } route)
            {
                version = route.Version;
            }
            else if (catalog.Primary(name)?.Current is { } primary)
            {
                return (Resolved(primary), null, null);
            }
            else
            {
                return (null, "model", $"model '{name}' has no champion version deployed (name a version)");
            }
        }

        if (served.FirstOrDefault(d => d.Version == version) is { } deployment)
        {
            return (Resolved(deployment), null, null);
        }

        var lineage = await registry.FindAsync(name, version, cancellationToken);
        if (lineage?.ArtifactSha256 is not { Length: > 0 } sha)
        {
            return served.Count == 0 && options.Value.LocalModels.All(m => m.Name != name) && catalog.RoutesOf(name).Count == 0
                ? (null, "model", $"no model named '{name}'")
                : (null, "version", $"model '{name}' has no version '{version}'");
        }

        var template = options.Value.LocalModels.FirstOrDefault(m => m.Name == name && m.Features.Count > 0)?.Features ?? served.FirstOrDefault()?.Features;
        if (template is not { Count: > 0 })
        {
            return (null, "model", $"the input order of model '{name}' is unknown to this service (no version of it is served here)");
        }

        return (new ResolvedModel(name, version, sha.Trim().ToLowerInvariant(), template, lineage.FeatureSetVersion), null, null);
    }

    static ResolvedModel Resolved(ModelDeployment deployment) =>
        new(deployment.Name, deployment.Version, deployment.Sha256.Trim().ToLowerInvariant(), deployment.Features, deployment.FeatureSetVersion);
}
