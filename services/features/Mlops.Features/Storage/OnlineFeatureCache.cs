using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Mlops.Features.Definitions;

namespace Mlops.Features.Storage;

/// <summary>
/// The online store's read path: the latest vector per (definition set version, entity) in memory, filled on first
/// read from PostgreSQL and kept current by the streaming handler and backfills after each commit. Reads never wait
/// on the database once warm.
/// </summary>
public sealed class OnlineFeatureCache(FeatureStore store, IOptions<FeatureDefinitions> shipped)
{
    readonly ConcurrentDictionary<(string Version, string EntityId), StoredVector> _vectors = new();

    /// <summary>The entity's latest vector of the shipped set, or null for an unknown entity.</summary>
    public ValueTask<StoredVector?> GetAsync(string entityId, CancellationToken cancellationToken) =>
        GetAsync(shipped.Value.Version, entityId, cancellationToken);

    /// <summary>The entity's latest vector of a set version, or null when there is none.</summary>
    public async ValueTask<StoredVector?> GetAsync(string featureSetVersion, string entityId, CancellationToken cancellationToken)
    {
        if (_vectors.TryGetValue((featureSetVersion, entityId), out var cached))
        {
            return cached;
        }

        var stored = await store.GetOnlineAsync(entityId, featureSetVersion, cancellationToken);
        if (stored is not null)
        {
            _vectors.TryAdd((featureSetVersion, entityId), stored);
        }

        return stored;
    }

    /// <summary>Records a committed vector (older computations never replace newer ones).</summary>
    public void Put(StoredVector vector) =>
        _vectors.AddOrUpdate((vector.FeatureSetVersion, vector.EntityId), vector, (_, existing) => existing.ComputedAt > vector.ComputedAt ? existing : vector);
}
