using System.Collections.Concurrent;
using Mlops.Contracts.Features;

namespace Mlops.Inference.Streaming;

/// <summary>
/// The newest feature vector per entity, fed from <c>features.v1</c>, so predictions never call another service.
/// An older vector (redelivered or out of order) never replaces a newer one.
/// </summary>
public sealed class OnlineFeatureCache
{
    readonly ConcurrentDictionary<string, FeatureVectorUpdated> _vectors = new(StringComparer.Ordinal);

    public int Count => _vectors.Count;

    public void Update(FeatureVectorUpdated vector) =>
        _vectors.AddOrUpdate(vector.EntityId, vector, (_, current) => vector.EventTime >= current.EventTime ? vector : current);

    public bool TryGet(string entityId, out FeatureVectorUpdated vector) => _vectors.TryGetValue(entityId, out vector!);
}
