using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Mlops.Features.Definitions;

namespace Mlops.Features.Storage;

/// <summary>
/// The online store's read path, coherent across replicas: the latest vector per (definition set version, entity) in
/// memory, filled only from PostgreSQL and dropped when any replica commits a newer one. Every write of
/// <c>online_vectors</c> takes a new version number and the database notifies every listening replica at commit
/// (<see cref="OnlineVectorListener"/>), so a vector applied by the other replica replaces this one's within the
/// notification's delivery time. While the listener is not connected nothing is trusted: every read goes to the
/// database, and the cache starts empty once it listens again (notifications sent meanwhile are lost).
/// </summary>
public sealed class OnlineFeatureCache(FeatureStore store, IOptions<FeatureDefinitions> shipped)
{
    /// <summary>
    /// What is known of a key: the highest row version seen (read or notified) and the vector of that version, or null
    /// when a newer version was notified and has not been read yet. Keeping the version after an invalidation stops a
    /// read that started before the write from putting the older row back.
    /// </summary>
    sealed record Entry(StoredVector? Vector, long Version);

    readonly ConcurrentDictionary<(string Version, string EntityId), Entry> _entries = new();
    long _generation;
    volatile bool _listening;

    /// <summary>Whether notifications are being received, i.e. whether cached vectors may be served.</summary>
    public bool Listening => _listening;

    /// <summary>The entity's latest vector of the shipped set, or null for an unknown entity.</summary>
    public ValueTask<StoredVector?> GetAsync(string entityId, CancellationToken cancellationToken) =>
        GetAsync(shipped.Value.Version, entityId, cancellationToken);

    /// <summary>The entity's latest vector of a set version, or null when there is none.</summary>
    public ValueTask<StoredVector?> GetAsync(string featureSetVersion, string entityId, CancellationToken cancellationToken)
    {
        if (_listening && _entries.TryGetValue((featureSetVersion, entityId), out var entry) && entry.Vector is { } cached)
        {
            FeaturesTelemetry.OnlineCacheLookups.Add(1, new KeyValuePair<string, object?>("hit", true));
            return ValueTask.FromResult<StoredVector?>(cached);
        }

        FeaturesTelemetry.OnlineCacheLookups.Add(1, new KeyValuePair<string, object?>("hit", false));
        return ReadThroughAsync(featureSetVersion, entityId, cancellationToken);
    }

    async ValueTask<StoredVector?> ReadThroughAsync(string featureSetVersion, string entityId, CancellationToken cancellationToken)
    {
        var generation = Interlocked.Read(ref _generation);
        var listening = _listening;
        if (await store.GetOnlineAsync(entityId, featureSetVersion, cancellationToken) is not { } found)
        {
            return null;
        }

        var (vector, version) = found;

        if (listening)
        {
            var key = (featureSetVersion, entityId);
            var stored = _entries.AddOrUpdate(key, new Entry(vector, version), (_, current) => version >= current.Version ? new Entry(vector, version) : current);
            // The listener reconnected (or dropped) while this read was in flight: notifications may have been missed,
            // so what this read found must not outlive the clean start.
            if (Interlocked.Read(ref _generation) != generation)
            {
                _entries.TryRemove(new KeyValuePair<(string, string), Entry>(key, stored));
            }
        }

        return vector;
    }

    /// <summary>A replica committed version <paramref name="version"/> of a key: older cached vectors are no longer served.</summary>
    public void Invalidate(string featureSetVersion, string entityId, long version)
    {
        _entries.AddOrUpdate((featureSetVersion, entityId), new Entry(null, version), (_, current) => version > current.Version ? new Entry(null, version) : current);
        FeaturesTelemetry.OnlineCacheInvalidations.Add(1);
    }

    /// <summary>The listener is listening (again): start from an empty cache, then serve from it.</summary>
    public void StartListening()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
        _listening = true;
    }

    /// <summary>The listener lost its connection: notifications may be missed, so every read goes to the database.</summary>
    public void StopListening()
    {
        _listening = false;
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }
}
