using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Mlops.Features.Definitions;

namespace Mlops.Features.Storage;

/// <summary>
/// The online store's read path: the latest vector per entity in memory, filled on first read from PostgreSQL and
/// kept current by the streaming handler after each commit. Reads never wait on the database once warm.
/// </summary>
public sealed class OnlineFeatureCache(FeatureStore store, IOptions<FeatureDefinitions> definitions)
{
    readonly ConcurrentDictionary<string, StoredVector> _vectors = new(StringComparer.Ordinal);
    readonly string _version = definitions.Value.Version;

    /// <summary>The entity's latest vector of the active definition set, or null for an unknown entity.</summary>
    public async ValueTask<StoredVector?> GetAsync(string entityId, CancellationToken cancellationToken)
    {
        if (_vectors.TryGetValue(entityId, out var cached))
        {
            return cached;
        }

        var stored = await store.GetOnlineAsync(entityId, _version, cancellationToken);
        if (stored is not null)
        {
            _vectors.TryAdd(entityId, stored);
        }

        return stored;
    }

    /// <summary>Records a committed vector (older event times never replace newer ones).</summary>
    public void Put(StoredVector vector)
    {
        if (vector.FeatureSetVersion != _version)
        {
            return;
        }

        _vectors.AddOrUpdate(vector.EntityId, vector, (_, existing) => existing.ComputedAt > vector.ComputedAt ? existing : vector);
    }
}
