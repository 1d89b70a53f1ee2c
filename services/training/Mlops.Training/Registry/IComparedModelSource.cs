using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Mlops.Training.Registry;

/// <summary>A registered version's ONNX artifact and input columns, for scoring it beside a run's own model.</summary>
public interface IComparedModelSource
{
    /// <summary>
    /// The version's artifact (its SHA-256 verified) and input feature names, or a problem saying why it cannot be had
    /// (not registered, hash mismatch). A service that does not answer throws (a transient failure: the step is tried again).
    /// </summary>
    Task<ComparedModel> GetAsync(string model, string version, CancellationToken cancellationToken);
}

/// <summary>The compared version's bytes and inputs, or why there are none.</summary>
public sealed record ComparedModel(string Version, string? Sha256, byte[]? Onnx, IReadOnlyList<string> Inputs, string? Problem);

/// <summary>The registry's <c>GET …/models/{name}/versions/{version}</c> and <c>GET /api/registry/artifacts/{sha256}</c>.</summary>
internal sealed class RegistryComparedModelSource(HttpClient http) : IComparedModelSource
{
    public async Task<ComparedModel> GetAsync(string model, string version, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"api/registry/models/{Uri.EscapeDataString(model)}/versions/{Uri.EscapeDataString(version)}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return new ComparedModel(version, null, null, [], $"{model} has no registered version {version}");
        }

        response.EnsureSuccessStatusCode();
        var registration = (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))?["registration"];
        var sha = registration?["artifactSha256"]?.GetValue<string>();
        var inputs = registration?["signature"]?["inputs"]?.AsArray().Select(i => i?["name"]?.GetValue<string>() ?? "").ToArray() ?? [];
        if (string.IsNullOrEmpty(sha) || inputs.Length == 0)
        {
            return new ComparedModel(version, sha, null, inputs, $"version {version} of {model} records no artifact or no inputs");
        }

        using var artifact = await http.GetAsync($"api/registry/artifacts/{Uri.EscapeDataString(sha)}", cancellationToken);
        if (artifact.StatusCode == HttpStatusCode.NotFound)
        {
            return new ComparedModel(version, sha, null, inputs, $"the registry has no artifact {sha} for version {version}");
        }

        artifact.EnsureSuccessStatusCode();
        var bytes = await artifact.Content.ReadAsByteArrayAsync(cancellationToken);
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        return !string.Equals(actual, sha, StringComparison.OrdinalIgnoreCase)
            ? new ComparedModel(version, sha, null, inputs, $"the artifact of version {version} hashes to {actual}, not the registered {sha}")
            : new ComparedModel(version, sha, bytes, inputs, null);
    }
}
