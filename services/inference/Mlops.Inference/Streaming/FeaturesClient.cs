using System.Net;
using System.Net.Http.Json;
using Mlops.Contracts.Features;

namespace Mlops.Inference.Streaming;

/// <summary>Reads the features service's online store: one entity on a cache miss, or every entity page by page.</summary>
public sealed class FeaturesClient(HttpClient http)
{
    public bool Configured => http.BaseAddress is not null;

    /// <summary>
    /// The entity's online vector for a model recorded with <paramref name="featureSetVersion"/> (null: the shipped
    /// set); null when the features service has none (404) or only one of another version of that set.
    /// </summary>
    public async Task<FeatureVectorUpdated?> GetAsync(string entityId, string? featureSetVersion, CancellationToken cancellationToken)
    {
        // The online read serves the shipped set by default and, with ?set={name}, the version in use under that name.
        var path = $"api/features/online/{Uri.EscapeDataString(entityId)}";
        if (featureSetVersion is not null && !FeatureSets.IsShipped(featureSetVersion))
        {
            path += "?set=" + Uri.EscapeDataString(FeatureSets.NameOf(featureSetVersion));
        }

        using var response = await http.GetAsync(path, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        var vector = (await response.Content.ReadFromJsonAsync<OnlineVector>(cancellationToken))?.ToEvent();

        // A set re-registered since the model was trained serves a newer version under the name: not the model's input.
        return vector is not null && FeatureSets.Feeds(featureSetVersion, vector.FeatureSetVersion) ? vector : null;
    }

    /// <summary>One page of the online store, entities after <paramref name="after"/> in id order.</summary>
    public async Task<OnlinePage> PageAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        var query = $"api/features/online?limit={limit}" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
        return await http.GetFromJsonAsync<OnlinePage>(query, cancellationToken) ?? new OnlinePage([], null);
    }
}

/// <summary>A page of online vectors and the cursor of the next one (null: last page).</summary>
public sealed record OnlinePage(IReadOnlyList<OnlineVector> Items, string? Next);

/// <summary>An online vector as the features service stores it.</summary>
public sealed record OnlineVector(
    string EntityId, string FeatureSetVersion, DateTimeOffset EventTime, DateTimeOffset ComputedAt, Dictionary<string, double?> Values, string? TriggeringObservationId)
{
    /// <summary>Latest known-at of the observations behind the vector (absent from older stores).</summary>
    public DateTimeOffset? KnownAt { get; init; }

    /// <summary>Ids of the observations behind the vector (absent from older stores).</summary>
    public IReadOnlyList<string>? ObservationIds { get; init; }

    // The online store does not keep the entity type; nothing in inference reads it.
    public FeatureVectorUpdated ToEvent() => new()
    {
        EntityId = EntityId,
        EntityType = "",
        FeatureSetVersion = FeatureSetVersion,
        Values = Values,
        EventTime = EventTime,
        ComputedAt = ComputedAt,
        TriggeringObservationId = TriggeringObservationId,
        KnownAt = KnownAt,
        ObservationIds = ObservationIds,
    };
}
