using System.Globalization;
using System.Net;
using System.Net.Http.Json;

namespace Mlops.Inference.Lineage;

/// <summary>A raw observation as the features service's bitemporal base holds it.</summary>
public sealed record ReplayedObservation(
    string ObservationId, string Code, double Value, DateTimeOffset EventTime, DateTimeOffset RecordedAt, DateTimeOffset? AvailableTime, DateTimeOffset KnownAt);

/// <summary>The features service's point-in-time vector and the observations it was computed from.</summary>
public sealed record PointInTimeVector(
    string EntityId, string FeatureSetVersion, DateTimeOffset AsOf, DateTimeOffset KnownAt,
    IReadOnlyList<ReplayedObservation> Observations, Dictionary<string, double?> Values);

/// <summary>Asks the features service for an entity's vector at a time as known at a time (<c>GET /api/features/point-in-time/{entityId}</c>).</summary>
public sealed class PointInTimeFeaturesClient(HttpClient http)
{
    /// <summary>The vector; null when the features service does not know the feature-set version. Throws when it does not answer.</summary>
    public async Task<PointInTimeVector?> ComputeAsync(string entityId, string featureSetVersion, DateTimeOffset asOf, DateTimeOffset knownAt, CancellationToken cancellationToken)
    {
        if (http.BaseAddress is null)
        {
            throw new InvalidOperationException("Inference:FeaturesBaseAddress is not configured; a prediction cannot be recomputed from its observations.");
        }

        var path = string.Create(CultureInfo.InvariantCulture,
            $"api/features/point-in-time/{Uri.EscapeDataString(entityId)}?featureSetVersion={Uri.EscapeDataString(featureSetVersion)}&asOf={Uri.EscapeDataString(asOf.ToString("O", CultureInfo.InvariantCulture))}&knownAt={Uri.EscapeDataString(knownAt.ToString("O", CultureInfo.InvariantCulture))}");
        using var response = await http.GetAsync(path, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<PointInTimeVector>(cancellationToken);
    }
}
