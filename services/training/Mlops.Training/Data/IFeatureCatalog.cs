using System.Net.Http.Json;

namespace Mlops.Training.Data;

/// <summary>The feature names a run can ask for (the features service's current definitions).</summary>
public interface IFeatureCatalog
{
    /// <summary>The names, or null when the catalogue cannot be reached (the run's ValidateData checks them again).</summary>
    Task<IReadOnlyList<string>?> FeatureNamesAsync(CancellationToken cancellationToken);
}

/// <summary>The features service's <c>GET /api/features/definitions</c>.</summary>
internal sealed class HttpFeatureCatalog(HttpClient http, ILogger<HttpFeatureCatalog> logger) : IFeatureCatalog
{
    sealed record Definitions(string? Version, List<string>? FeatureNames);

    public async Task<IReadOnlyList<string>?> FeatureNamesAsync(CancellationToken cancellationToken)
    {
        try
        {
            var definitions = await http.GetFromJsonAsync<Definitions>("api/features/definitions", cancellationToken);
            return definitions?.FeatureNames;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            // Not a reason to refuse the request: the names are checked against the training set itself at ValidateData.
            logger.LogWarning(e, "The feature catalogue could not be read; the run's feature names are checked at ValidateData");
            return null;
        }
    }
}
