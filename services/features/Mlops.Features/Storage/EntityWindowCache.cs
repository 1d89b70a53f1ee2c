using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Mlops.Features.Computation;
using Mlops.Kafka.Consuming;

namespace Mlops.Features.Storage;

/// <summary>
/// Each streamed entity's window — its stored observations within the horizon of its newest event time, what
/// <see cref="FeatureStore.LoadEntityWindowsAsync"/> reads — kept between batches, so a batch reads from the database
/// only the entities it has not seen. Only the streaming handler writes observations, and only the owner of an
/// entity's partition handles its records: a window stays exact while this replica keeps that partition. It is
/// therefore held under the partition's assignment epoch (<see cref="KafkaPartitionOwnership"/>) and not used once
/// the partition was revoked or reassigned, when another replica may have written the entity meanwhile. The handler
/// stores windows only after its transaction committed.
/// </summary>
public sealed class EntityWindowCache(KafkaPartitionOwnership ownership, IOptions<EntityWindowOptions> options)
{
    readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    readonly Lock _pendingLock = new();
    List<Pending>? _pending;

    sealed record Window(string Group, string Topic, int Partition, long Epoch, TimeSpan Horizon, IReadOnlyList<ObservationPoint> Points);

    /// <summary>A window a batch computed from, to be held once the batch's transaction has committed.</summary>
    public sealed record Pending(string EntityId, KafkaMessageContext Context, long Epoch, TimeSpan Horizon, IReadOnlyList<ObservationPoint> Points);

    public bool Enabled => options.Value.Enabled;

    public int Count => _windows.Count;

    /// <summary>Whether a window of the entity is held (whatever its assignment): for diagnostics and tests.</summary>
    public bool Holds(string entityId) => _windows.ContainsKey(entityId);

    /// <summary>The assignment epoch of the record's partition now (null: not owned, nothing may be cached from it).</summary>
    public long? EpochOf(KafkaMessageContext context) => ownership.Epoch(context.ConsumerGroup, context.Topic, context.Partition);

    /// <summary>
    /// The entity's window over <paramref name="horizon"/>, when it was stored under the current assignment of the
    /// record's partition; null otherwise (read it from the database).
    /// </summary>
    public IReadOnlyList<ObservationPoint>? Find(string entityId, KafkaMessageContext context, TimeSpan horizon)
    {
        if (!Enabled || !_windows.TryGetValue(entityId, out var window))
        {
            return null;
        }

        return window.Horizon == horizon && window.Group == context.ConsumerGroup && window.Topic == context.Topic && window.Partition == context.Partition
            && window.Epoch == EpochOf(context)
            ? window.Points
            : null;
    }

    /// <summary>
    /// Starts a batch. The windows the previous batch left pending were never confirmed committed: its transaction
    /// failed, or its commit's outcome was not known (a retry then found its records already applied). Their entities
    /// are read from the database again.
    /// </summary>
    public void BeginBatch()
    {
        lock (_pendingLock)
        {
            foreach (var pending in _pending ?? [])
            {
                _windows.TryRemove(pending.EntityId, out _);
            }

            _pending = null;
        }
    }

    /// <summary>The batch's windows, held back until <see cref="Commit"/>.</summary>
    public void Hold(List<Pending> windows)
    {
        lock (_pendingLock)
        {
            _pending = windows;
        }
    }

    /// <summary>The batch committed: its windows are the stored state now.</summary>
    public void Commit()
    {
        lock (_pendingLock)
        {
            foreach (var pending in _pending ?? [])
            {
                Store(pending.EntityId, pending.Context, pending.Epoch, pending.Horizon, pending.Points);
            }

            _pending = null;
        }
    }

    /// <summary>Holds the entity's window as committed, under <paramref name="epoch"/> (the epoch its records were handled in).</summary>
    void Store(string entityId, KafkaMessageContext context, long epoch, TimeSpan horizon, IReadOnlyList<ObservationPoint> points)
    {
        if (!Enabled)
        {
            return;
        }

        if (EpochOf(context) != epoch)
        {
            // Reassigned since the batch was read: what this replica saw may no longer be all there is.
            _windows.TryRemove(entityId, out _);
            return;
        }

        if (_windows.Count >= options.Value.MaxEntities && !_windows.ContainsKey(entityId))
        {
            _windows.Clear();
        }

        _windows[entityId] = new Window(context.ConsumerGroup, context.Topic, context.Partition, epoch, horizon, points);
    }

    /// <summary>
    /// The window after new observations were stored: the cached points and the newly inserted ones, cut to the horizon
    /// of the newest event time — the rows the database query would return.
    /// </summary>
    public static List<ObservationPoint> Extend(IReadOnlyList<ObservationPoint> window, IReadOnlyList<ObservationPoint> inserted, TimeSpan horizon)
    {
        var newest = DateTimeOffset.MinValue;
        foreach (var point in window)
        {
            newest = point.EventTime > newest ? point.EventTime : newest;
        }

        foreach (var point in inserted)
        {
            newest = point.EventTime > newest ? point.EventTime : newest;
        }

        var start = newest - horizon;
        var extended = new List<ObservationPoint>(window.Count + inserted.Count);
        extended.AddRange(window.Where(p => p.EventTime > start));
        extended.AddRange(inserted.Where(p => p.EventTime > start));
        return extended;
    }
}
