using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Mlops.Features.Definitions;

namespace Mlops.Features.Storage;

/// <summary>
/// The online store's read path, coherent across replicas and bounded in memory: recently read vectors per (definition
/// set version, entity), held as the read API's JSON, filled only from PostgreSQL and dropped when any replica commits
/// a newer one. The JSON is what a read answers, so a hit writes bytes and serializes nothing; it is also the most
/// compact form of a vector on the heap (a third of the deserialized object with its name strings). Every write of
/// <c>online_vectors</c> takes a new version number and the database notifies every listening replica at commit
/// (<see cref="OnlineVectorListener"/>), so a vector applied by the other replica replaces this one's within the
/// notification's delivery time. While the listener is not connected nothing is trusted: every read goes to the
/// database, and the cache starts empty once it listens again (notifications sent meanwhile are lost).
/// Past <see cref="OnlineCacheOptions.SizeLimitMegabytes"/> the least recently read vectors are dropped, by CLOCK (the
/// approximation of least recently used that needs no lock on a read): entries wait in a queue in the order they were
/// cached; a read marks its entry; the trim takes entries from the head, drops the unmarked ones and puts the marked
/// ones back at the tail unmarked. So a million entities are served from a process of bounded size, the cold ones
/// read through from PostgreSQL.
/// </summary>
public sealed class OnlineFeatureCache(
    FeatureStore store, IOptions<FeatureDefinitions> shipped, IOptions<OnlineCacheOptions> options, IOptions<JsonOptions> json)
{
    /// <summary>
    /// What is known of a key: the highest row version seen (read or notified) and the JSON of that version's vector,
    /// or null when a newer version was notified and has not been read yet. Keeping the version after an invalidation
    /// stops a read that started before the write from putting the older row back.
    /// </summary>
    sealed class Entry(byte[]? json, long version, long size)
    {
        public byte[]? Json { get; } = json;

        public long Version { get; } = version;

        public long Size { get; } = size;

        // CLOCK's mark: set by a read, cleared by a trim that spares the entry. A new entry (read once, to be cached)
        // starts unmarked: unless read again, it goes at its turn, and a scan of cold entities cannot flush the hot ones.
        public volatile bool Referenced;
    }

    readonly ConcurrentDictionary<(string Version, string EntityId), Entry> _entries = new();

    // Keys being read through from PostgreSQL. A notification for such a key leaves a marker (an entry without a
    // vector) even when nothing was cached, and a trim never drops the marker of a key being read: the read may have
    // fetched the row the notification made old. Notifications for keys neither cached nor being read leave nothing,
    // so a write-heavy store costs no memory for entities nobody reads.
    readonly ConcurrentDictionary<(string Version, string EntityId), int> _reading = new();
    readonly long _limitBytes = options.Value.SizeLimitMegabytes * 1024L * 1024L;

    // CLOCK's queue. An entry replaced or removed leaves its item behind (it is skipped when reached); when such items
    // outnumber the entries, a trim takes one whole turn of the queue to drop them, so a cache that never reaches its
    // limit does not grow a queue of dead items. Counts are approximate under concurrency, which is all they need be.
    readonly ConcurrentQueue<((string Version, string EntityId) Key, Entry Entry)> _clock = new();
    long _queued;
    long _count;
    long _bytes;
    long _generation;
    int _trimming;
    volatile bool _listening;

    /// <summary>Whether notifications are being received, i.e. whether cached vectors may be served.</summary>
    public bool Listening => _listening;

    /// <summary>Estimated memory of the cached entries, in bytes.</summary>
    public long SizeBytes => Interlocked.Read(ref _bytes);

    public int Count => _entries.Count;

    /// <summary>The entity's latest vector of the shipped set, or null for an unknown entity.</summary>
    public ValueTask<StoredVector?> GetAsync(string entityId, CancellationToken cancellationToken) =>
        GetAsync(shipped.Value.Version, entityId, cancellationToken);

    /// <summary>The entity's latest vector of a set version, or null when there is none.</summary>
    public async ValueTask<StoredVector?> GetAsync(string featureSetVersion, string entityId, CancellationToken cancellationToken) =>
        await GetJsonAsync(featureSetVersion, entityId, cancellationToken) is { } utf8Json
            ? JsonSerializer.Deserialize<StoredVector>(utf8Json, json.Value.SerializerOptions)
            : null;

    /// <summary>The read API's JSON of the entity's latest vector of a set version, or null when there is none.</summary>
    public ValueTask<byte[]?> GetJsonAsync(string featureSetVersion, string entityId, CancellationToken cancellationToken)
    {
        if (_listening && _entries.TryGetValue((featureSetVersion, entityId), out var entry) && entry.Json is { } cached)
        {
            if (!entry.Referenced)
            {
                entry.Referenced = true; // written only when clear: hot entries stay read-only for the cores sharing them
            }

            FeaturesTelemetry.OnlineCacheLookups.Add(1, new KeyValuePair<string, object?>("hit", true));
            return ValueTask.FromResult<byte[]?>(cached);
        }

        FeaturesTelemetry.OnlineCacheLookups.Add(1, new KeyValuePair<string, object?>("hit", false));
        return ReadThroughAsync(featureSetVersion, entityId, cancellationToken);
    }

    async ValueTask<byte[]?> ReadThroughAsync(string featureSetVersion, string entityId, CancellationToken cancellationToken)
    {
        var key = (featureSetVersion, entityId);
        _reading.AddOrUpdate(key, 1, (_, n) => n + 1);
        try
        {
            var generation = Interlocked.Read(ref _generation);
            var listening = _listening;
            if (await store.GetOnlineAsync(entityId, featureSetVersion, cancellationToken) is not { } found)
            {
                return null;
            }

            var (vector, version) = found;
            var utf8Json = JsonSerializer.SerializeToUtf8Bytes(vector, json.Value.SerializerOptions);
            if (listening)
            {
                var stored = Put(key, new Entry(utf8Json, version, EntrySize(entityId, utf8Json)), replaceSameVersion: true);
                // The listener reconnected (or dropped) while this read was in flight: notifications may have been
                // missed, so what this read found must not outlive the clean start.
                if (Interlocked.Read(ref _generation) != generation)
                {
                    Remove(key, stored);
                }
            }

            return utf8Json;
        }
        finally
        {
            DoneReading(key);
        }
    }

    /// <summary>A replica committed version <paramref name="version"/> of a key: older cached vectors are no longer served.</summary>
    public void Invalidate(string featureSetVersion, string entityId, long version)
    {
        var key = (featureSetVersion, entityId);
        if (_entries.ContainsKey(key) || _reading.ContainsKey(key))
        {
            Put(key, new Entry(null, version, EntrySize(entityId, null)), replaceSameVersion: false);
        }

        FeaturesTelemetry.OnlineCacheInvalidations.Add(1);
    }

    /// <summary>The listener is listening (again): start from an empty cache, then serve from it.</summary>
    public void StartListening()
    {
        Interlocked.Increment(ref _generation);
        Clear();
        _listening = true;
    }

    /// <summary>The listener lost its connection: notifications may be missed, so every read goes to the database.</summary>
    public void StopListening()
    {
        _listening = false;
        Interlocked.Increment(ref _generation);
        Clear();
    }

    // Puts the candidate unless the key already holds a newer version (or the same one, for a notification). The loop
    // rather than AddOrUpdate: the size accounting must know exactly which entry was replaced.
    Entry Put((string, string) key, Entry candidate, bool replaceSameVersion)
    {
        while (true)
        {
            if (_entries.TryGetValue(key, out var current))
            {
                var newer = replaceSameVersion ? candidate.Version >= current.Version : candidate.Version > current.Version;
                if (!newer)
                {
                    return current;
                }

                if (_entries.TryUpdate(key, candidate, current))
                {
                    Account(candidate.Size - current.Size, 0);
                    break;
                }
            }
            else if (_entries.TryAdd(key, candidate))
            {
                Account(candidate.Size, 1);
                break;
            }
        }

        Enqueue((key, candidate));
        if (Interlocked.Read(ref _bytes) > _limitBytes || TooManyDeadItems())
        {
            Trim();
        }

        return candidate;
    }

    bool Remove((string, string) key, Entry entry)
    {
        if (!_entries.TryRemove(new KeyValuePair<(string, string), Entry>(key, entry)))
        {
            return false;
        }

        Account(-entry.Size, -1);
        return true;
    }

    void Clear()
    {
        foreach (var (key, entry) in _entries)
        {
            Remove(key, entry);
        }

        _clock.Clear();
        Interlocked.Exchange(ref _queued, 0);
    }

    void Enqueue(((string, string) Key, Entry Entry) item)
    {
        _clock.Enqueue(item);
        Interlocked.Increment(ref _queued);
    }

    bool TooManyDeadItems() => Interlocked.Read(ref _queued) > 2 * Interlocked.Read(ref _count) + 1024;

    void DoneReading((string, string) key)
    {
        while (true)
        {
            var count = _reading[key];
            if (count == 1 ? _reading.TryRemove(new KeyValuePair<(string, string), int>(key, 1)) : _reading.TryUpdate(key, count - 1, count))
            {
                return;
            }
        }
    }

    // Down to 90 % of the limit, so a trim runs once per tenth of the budget filled, not on every read. One thread trims
    // at a time; the others go on serving, a little over the limit until it is done.
    void Trim()
    {
        if (Interlocked.CompareExchange(ref _trimming, 1, 0) != 0)
        {
            return;
        }

        try
        {
            var target = _limitBytes / 10 * 9;
            // Each live entry is passed at most twice (unmarked, then dropped), so a trim ends even if every entry was read.
            var visits = 2 * Interlocked.Read(ref _count) + 16;
            var turn = TooManyDeadItems() ? Interlocked.Read(ref _queued) : 0;
            var evicted = 0;
            while (true)
            {
                var over = Interlocked.Read(ref _bytes) > target && visits > 0;
                if (!over && turn <= 0)
                {
                    break;
                }

                if (!_clock.TryDequeue(out var item))
                {
                    // Only a Clear racing a Put can leave a cached entry out of the queue: put every entry back in line.
                    if (!over || _entries.IsEmpty)
                    {
                        break;
                    }

                    foreach (var (key, entry) in _entries)
                    {
                        Enqueue((key, entry));
                    }

                    continue;
                }

                Interlocked.Decrement(ref _queued);
                turn--;
                if (!_entries.TryGetValue(item.Key, out var current) || !ReferenceEquals(current, item.Entry))
                {
                    continue; // replaced (its successor has its own place in the queue) or removed
                }

                if (over)
                {
                    visits--;
                    if (!item.Entry.Referenced && !_reading.ContainsKey(item.Key) && Remove(item.Key, item.Entry))
                    {
                        evicted++;
                        continue;
                    }

                    item.Entry.Referenced = false;
                }

                Enqueue(item);
            }

            FeaturesTelemetry.OnlineCacheEvictions.Add(evicted);
        }
        finally
        {
            Volatile.Write(ref _trimming, 0);
        }
    }

    void Account(long bytes, int entries)
    {
        Interlocked.Add(ref _bytes, bytes);
        Interlocked.Add(ref _count, entries);
        FeaturesTelemetry.OnlineCacheBytes.Add(bytes);
        if (entries != 0)
        {
            FeaturesTelemetry.OnlineCacheEntries.Add(entries);
        }
    }

    // What an entry holds on the heap: the entry, its dictionary node and key (the entity id string; the set version
    // string is the definitions' own) and the JSON array. Strings are 22 bytes of header and two per char.
    static long EntrySize(string entityId, byte[]? utf8Json) => 160 + 22 + 2L * entityId.Length + (utf8Json is null ? 0 : 24 + utf8Json.Length);
}
