using System.Collections.Concurrent;
using Mlops.Contracts.Features;

namespace Mlops.Inference.Streaming;

/// <summary>
/// The newest feature vector per (feature-set version, entity), fed from <c>features.v1</c>, so predictions never
/// call another service and a vector of one set never stands in for another's. Vectors of the shipped set are also
/// kept per entity whatever their version, for models that record none (see <see cref="FeatureSets.ShippedName"/>).
/// An older vector (redelivered or out of order) never replaces a newer one.
/// </summary>
public sealed class OnlineFeatureCache
{
    readonly ConcurrentDictionary<(string Version, string EntityId), FeatureVectorUpdated> _vectors = new();
    readonly ConcurrentDictionary<string, FeatureVectorUpdated> _shipped = new(StringComparer.Ordinal);

    /// <summary>Vectors held, one per feature-set version and entity.</summary>
    public int Count => _vectors.Count;

    public void Update(FeatureVectorUpdated vector)
    {
        _vectors.AddOrUpdate((vector.FeatureSetVersion, vector.EntityId), vector, (_, current) => Newer(vector, current));
        if (FeatureSets.IsShipped(vector.FeatureSetVersion))
        {
            _shipped.AddOrUpdate(vector.EntityId, vector, (_, current) => Newer(vector, current));
        }
    }

    /// <summary>
    /// The entity's vector for a model recorded with <paramref name="featureSetVersion"/>: that exact version's, or
    /// (null) the newest of the shipped set.
    /// </summary>
    public bool TryGet(string? featureSetVersion, string entityId, out FeatureVectorUpdated vector) =>
        featureSetVersion is null
            ? _shipped.TryGetValue(entityId, out vector!)
            : _vectors.TryGetValue((featureSetVersion, entityId), out vector!);

    static FeatureVectorUpdated Newer(FeatureVectorUpdated candidate, FeatureVectorUpdated current) =>
        candidate.EventTime >= current.EventTime ? candidate : current;
}
