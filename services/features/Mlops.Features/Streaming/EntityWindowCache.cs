using System.Collections.Concurrent;
using Mlops.Features.Computation;
using Mlops.Kafka.Consuming;

namespace Mlops.Features.Streaming;

/// <summary>
/// Each entity's observation window — what <see cref="Storage.FeatureStore.LoadEntityWindowsAsync"/> would read: its
/// observations within the horizon of its newest event time — kept between batches, so a batch reads from the
/// database only the entities it has not seen (and writes what it stores there as before).
/// <para>
/// Why it cannot go stale: <c>feature_observations</c> is written only by this stream, and an entity's observations
/// all come through one partition (the record key is the entity id). A window is trusted only while this process has
/// applied every record of that partition since it was read: it belongs to the partition's assignment (epoch, see
/// <see cref="KafkaPartitionOwnership"/>) and to a run of consecutive offsets. A revoke/assign (another replica may
/// have written meanwhile), a record that was not new to the inbox (another consumer applied it), a record
/// dead-lettered or any other gap in the offsets starts a new generation for the partition, and its windows are read
/// again from the database. Windows change only after the batch's transaction committed
/// (<see cref="Batch.Commit"/>); a batch that failed, or whose commit may or may not have happened, leaves its partitions'
/// expected offsets behind, so the next batch sees a gap.
/// </para>
/// </summary>
public sealed class EntityWindowCache(KafkaPartitionOwnership ownership)
{
    /// <summary>
    /// Most entities held: beyond it the cache is emptied and fills again from the database (a miss costs a read, as
    /// every batch did before), so memory stays bounded however many entities the stream carries.
    /// </summary>
    public const int MaxEntities = 200_000;

    /// <summary>One entity's window and the partition generation it is valid for.</summary>
    sealed record Window(PartitionKey Partition, long Generation, TimeSpan Horizon, ObservationPoint[] Points);

    /// <summary>Where the partition's applied records end, under which assignment and generation.</summary>
    sealed record Progress(long Epoch, long Generation, long NextOffset);

    internal readonly record struct PartitionKey(string Group, string Topic, int Partition);

    readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<PartitionKey, Progress> _progress = new();
    long _generations;

    /// <summary>Entities held.</summary>
    public int Count => _windows.Count;

    /// <summary>
    /// The batch's view of the cache: which entities' windows can be used. <paramref name="received"/> is the whole
    /// batch as polled, <paramref name="applied"/> the records about to be applied (those new to the inbox): a
    /// partition whose records were not all new, or do not follow on from the last committed batch, starts a new
    /// generation.
    /// </summary>
    public Batch Begin(IReadOnlyList<KafkaMessageContext> received, IReadOnlyList<KafkaMessageContext> applied)
    {
        var generations = new Dictionary<PartitionKey, long>();
        var ends = new Dictionary<PartitionKey, (long Epoch, long Next)>();
        var receivedOffsets = received.ToLookup(r => new PartitionKey(r.ConsumerGroup, r.Topic, r.Partition), r => r.Offset);
        foreach (var group in applied.GroupBy(r => new PartitionKey(r.ConsumerGroup, r.Topic, r.Partition)))
        {
            var key = group.Key;
            var epoch = ownership.Epoch(key.Group, key.Topic, key.Partition);
            var offsets = group.Select(r => r.Offset).Order().ToArray();
            // Every record polled of the partition is applied, in an unbroken run of offsets.
            var consecutive = offsets.Zip(offsets.Skip(1)).All(p => p.Second == p.First + 1)
                && receivedOffsets[key].Distinct().Count() == offsets.Length;
            var progress = _progress.GetValueOrDefault(key);
            if (epoch is null)
            {
                // Not (or no longer) owned: nothing of it may be trusted or kept.
                continue;
            }

            if (progress is not null && progress.Epoch == epoch && progress.NextOffset == offsets[0] && consecutive)
            {
                generations[key] = progress.Generation;
            }
            else
            {
                // A gap or a new assignment: windows of this partition are read again; the new generation is
                // recorded only when this batch commits.
                generations[key] = consecutive ? Interlocked.Increment(ref _generations) : -1;
            }

            if (consecutive)
            {
                ends[key] = (epoch.Value, offsets[^1] + 1);
            }
        }

        return new Batch(this, generations, ends);
    }

    /// <summary>One batch's use of the cache; nothing it computes is visible to others before <see cref="Commit"/>.</summary>
    public sealed class Batch
    {
        readonly EntityWindowCache _cache;
        readonly Dictionary<PartitionKey, long> _generations;
        readonly Dictionary<PartitionKey, (long Epoch, long Next)> _ends;
        readonly Dictionary<string, Window> _updated = new(StringComparer.Ordinal);

        internal Batch(EntityWindowCache cache, Dictionary<PartitionKey, long> generations, Dictionary<PartitionKey, (long Epoch, long Next)> ends)
        {
            _cache = cache;
            _generations = generations;
            _ends = ends;
        }

        /// <summary>
        /// The entity's window before this batch, when it is known to equal the database's for a horizon of
        /// <paramref name="horizon"/>; else false (the caller reads it from the database).
        /// </summary>
        public bool TryGet(string entityId, KafkaMessageContext record, TimeSpan horizon, out IReadOnlyList<ObservationPoint> points)
        {
            var key = new PartitionKey(record.ConsumerGroup, record.Topic, record.Partition);
            if (_cache._windows.TryGetValue(entityId, out var window)
                && window.Partition == key
                && _generations.TryGetValue(key, out var generation)
                && window.Generation == generation
                && window.Horizon >= horizon)
            {
                points = window.Points;
                return true;
            }

            points = [];
            return false;
        }

        /// <summary>The entity's window after this batch, to keep once the batch commits.</summary>
        public void Set(string entityId, KafkaMessageContext record, TimeSpan horizon, ObservationPoint[] points)
        {
            var key = new PartitionKey(record.ConsumerGroup, record.Topic, record.Partition);
            if (_generations.TryGetValue(key, out var generation) && generation >= 0)
            {
                _updated[entityId] = new Window(key, generation, horizon, points);
            }
        }

        /// <summary>Called after the batch's transaction committed: its windows and offsets become the cache's.</summary>
        public void Commit()
        {
            foreach (var (key, (epoch, next)) in _ends)
            {
                if (_generations.TryGetValue(key, out var generation) && generation >= 0)
                {
                    _cache._progress[key] = new Progress(epoch, generation, next);
                }
            }

            if (_cache._windows.Count + _updated.Count > MaxEntities)
            {
                _cache._windows.Clear();
            }

            foreach (var (entityId, window) in _updated)
            {
                _cache._windows[entityId] = window;
            }
        }
    }

    /// <summary>
    /// The window after adding <paramref name="inserted"/> (rows the database really inserted) to
    /// <paramref name="before"/>: the observations within <paramref name="horizon"/> of the newest event time — the rows
    /// <see cref="Storage.FeatureStore.LoadEntityWindowsAsync"/> returns, since an entity's newest observation is always
    /// in its window.
    /// </summary>
    public static ObservationPoint[] Merge(IReadOnlyList<ObservationPoint> before, IReadOnlyList<ObservationPoint> inserted, TimeSpan horizon)
    {
        var newest = DateTimeOffset.MinValue;
        foreach (var point in before)
        {
            newest = point.EventTime > newest ? point.EventTime : newest;
        }

        foreach (var point in inserted)
        {
            newest = point.EventTime > newest ? point.EventTime : newest;
        }

        var start = newest - horizon;
        var merged = new List<ObservationPoint>(before.Count + inserted.Count);
        foreach (var point in before)
        {
            if (point.EventTime > start)
            {
                merged.Add(point);
            }
        }

        foreach (var point in inserted)
        {
            if (point.EventTime > start)
            {
                merged.Add(point);
            }
        }

        return [.. merged];
    }
}
