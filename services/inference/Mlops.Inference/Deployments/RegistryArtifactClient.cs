using System.Security.Cryptography;

namespace Mlops.Inference.Deployments;

/// <summary>Fetches model artifacts from the registry by content address (<c>GET /api/registry/artifacts/{sha256}</c>).</summary>
public sealed class RegistryArtifactClient(HttpClient http)
{
    /// <summary>
    /// The artifact's bytes, verified here against <paramref name="sha256"/> (the registry verifies too, but the
    /// bytes crossed a network since). Throws <see cref="InvalidDataException"/> when they do not hash to it and
    /// <see cref="HttpRequestException"/> when the registry does not answer with them.
    /// </summary>
    public async Task<byte[]> FetchAsync(string sha256, CancellationToken cancellationToken)
    {
        if (http.BaseAddress is null)
        {
            throw new InvalidOperationException("Inference:RegistryBaseAddress is not configured; artifacts cannot be fetched.");
        }

        using var response = await http.GetAsync($"api/registry/artifacts/{Uri.EscapeDataString(sha256)}", cancellationToken);
        response.EnsureSuccessStatusCode();
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(actual, sha256.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"Artifact {sha256} from the registry hashes to {actual}; refusing it.");
        }

        return bytes;
    }
}
