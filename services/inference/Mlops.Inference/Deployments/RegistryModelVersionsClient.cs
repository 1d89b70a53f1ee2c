using System.Net;
using System.Net.Http.Json;

namespace Mlops.Inference.Deployments;

/// <summary>
/// Reads a model version's registration (<c>GET /api/registry/models/{name}/versions/{version}</c>) for the
/// feature-set version it was trained on, which a deployment's routes do not carry.
/// </summary>
public sealed class RegistryModelVersionsClient(HttpClient http)
{
    /// <summary>
    /// The registered feature-set version; null when the registry does not know the version (404) or recorded none.
    /// Throws <see cref="HttpRequestException"/> when the registry does not answer, so the deployment is retried.
    /// </summary>
    public async Task<string?> FeatureSetVersionAsync(string modelName, string version, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(
            $"api/registry/models/{Uri.EscapeDataString(modelName)}/versions/{Uri.EscapeDataString(version)}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<VersionBody>(cancellationToken);
        return string.IsNullOrWhiteSpace(body?.Registration?.FeatureSetVersion) ? null : body.Registration.FeatureSetVersion;
    }

    sealed record VersionBody(Registration? Registration);

    sealed record Registration(string? FeatureSetVersion);
}
