using System.Net.Http.Json;

namespace Mlops.Training.Registry;

/// <summary>Where model artifacts go before <c>RegisterModelVersion</c> refers to them by SHA-256.</summary>
public interface IModelArtifactSink
{
    /// <summary>Stores the bytes; returns their SHA-256 (hex) as the store computed it.</summary>
    Task<string> UploadAsync(byte[] artifact, CancellationToken cancellationToken);
}

/// <summary>The registry's <c>POST /api/registry/artifacts</c>.</summary>
internal sealed class RegistryArtifactSink(HttpClient http) : IModelArtifactSink
{
    sealed record Stored(string Sha256, long Size);

    public async Task<string> UploadAsync(byte[] artifact, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(artifact);
        content.Headers.ContentType = new("application/octet-stream");
        using var response = await http.PostAsync("api/registry/artifacts", content, cancellationToken);
        response.EnsureSuccessStatusCode();
        var stored = await response.Content.ReadFromJsonAsync<Stored>(cancellationToken)
            ?? throw new InvalidOperationException("The registry answered the upload with no body.");
        return stored.Sha256;
    }
}
