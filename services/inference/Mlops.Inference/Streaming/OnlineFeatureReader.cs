using Mlops.Contracts.Features;
using Mlops.Inference.Telemetry;

namespace Mlops.Inference.Streaming;

/// <summary>What an online feature read found.</summary>
/// <param name="Vector">The vector, or null.</param>
/// <param name="Unavailable">Why there is none when the features service did not answer (null: it has none).</param>
public readonly record struct FeatureLookup(FeatureVectorUpdated? Vector, string? Unavailable);

/// <summary>
/// An entity's current feature vector for an HTTP prediction: this replica's cache when the vector there is known to be
/// current (<see cref="OnlineFeatureCache"/>), else the features service's online store (coherent across its replicas),
/// which then refreshes the cache. When the features service does not answer, a vector held here is served rather than
/// none (<c>mlops.inference.online_feature_reads</c> with <c>source=stale</c>); without one the caller answers 503.
/// </summary>
public sealed class OnlineFeatureReader(OnlineFeatureCache cache, FeaturesClient features, ILogger<OnlineFeatureReader> logger)
{
    public async Task<FeatureLookup> GetAsync(string? featureSetVersion, string entityId, CancellationToken cancellationToken)
    {
        var held = cache.TryGet(featureSetVersion, entityId, out var cached, out var fresh);
        if (fresh)
        {
            InferenceTelemetry.OnlineFeatureReads.Add(1, new KeyValuePair<string, object?>("source", "cache"));
            return new FeatureLookup(cached, null);
        }

        if (!features.Configured)
        {
            return new FeatureLookup(held ? cached : null, null);
        }

        FeatureVectorUpdated? stored;
        try
        {
            stored = await features.GetAsync(entityId, featureSetVersion, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            if (held)
            {
                InferenceTelemetry.OnlineFeatureReads.Add(1, new KeyValuePair<string, object?>("source", "stale"));
                logger.LogWarning("Features service did not answer ({Reason}); serving the vector of {EntityId} this replica holds", ex.Message, entityId);
                return new FeatureLookup(cached, null);
            }

            return new FeatureLookup(null, ex.Message);
        }

        InferenceTelemetry.OnlineFeatureReads.Add(1, new KeyValuePair<string, object?>("source", "features-service"));
        if (stored is null)
        {
            // The store has no vector of the model's version (e.g. the set was re-registered since); what came here is still that version's.
            return new FeatureLookup(held ? cached : null, null);
        }

        cache.Update(stored);
        return new FeatureLookup(cache.TryGet(featureSetVersion, entityId, out var newest, out _) ? newest : stored, null);
    }
}
