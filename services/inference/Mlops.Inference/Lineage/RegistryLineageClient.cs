using System.Net;
using System.Net.Http.Json;

namespace Mlops.Inference.Lineage;

/// <summary>What the registry recorded of a model version: where it came from.</summary>
public sealed record ModelVersionLineage(
    string ModelName, string Version, string? ArtifactSha256, string? TrainingRunId, string? DatasetVersion, string? FeatureSetVersion, string? CodeVersion);

/// <summary>Reads a model version's registration (<c>GET /api/registry/models/{name}/versions/{version}</c>) for its lineage.</summary>
public sealed class RegistryLineageClient(HttpClient http)
{
    /// <summary>
    /// The registration; null when the registry is not configured or does not know the version (a local artifact).
    /// Throws <see cref="HttpRequestException"/> when the registry does not answer.
    /// </summary>
    public async Task<ModelVersionLineage?> FindAsync(string modelName, string version, CancellationToken cancellationToken)
    {
        if (http.BaseAddress is null)
        {
            return null;
        }

        using var response = await http.GetAsync(
            $"api/registry/models/{Uri.EscapeDataString(modelName)}/versions/{Uri.EscapeDataString(version)}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<VersionBody>(cancellationToken);
        return body?.Registration is not { } r ? null
            : new ModelVersionLineage(modelName, version, r.ArtifactSha256, r.TrainingRunId, r.DatasetVersion, r.FeatureSetVersion, r.CodeVersion);
    }

    sealed record VersionBody(Registration? Registration);

    sealed record Registration(string? ArtifactSha256, string? TrainingRunId, string? DatasetVersion, string? FeatureSetVersion, string? CodeVersion);
}
