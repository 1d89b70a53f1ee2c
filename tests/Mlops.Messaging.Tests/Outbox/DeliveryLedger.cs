using System.Collections.Concurrent;

using Mlops.Messaging.CrashingSaga;

namespace Mlops.Messaging.Tests.Outbox;

/// <summary>What a deduplicating consumer saw: every delivery by MessageId, and each message applied once.</summary>
public sealed class DeliveryLedger
{
    readonly ConcurrentDictionary<Guid, int> _received = new();
    readonly ConcurrentDictionary<Guid, OutboxRunStepRequested> _applied = new();
    readonly ConcurrentQueue<OutboxRunStepRequested> _appliedInOrder = new();

    /// <summary>Records a delivery; true when this MessageId is new and the message should be applied.</summary>
    public bool Receive(Guid messageId, OutboxRunStepRequested message)
    {
        _received.AddOrUpdate(messageId, 1, (_, count) => count + 1);
        if (!_applied.TryAdd(messageId, message))
        {
            return false;
        }

        _appliedInOrder.Enqueue(message);
        return true;
    }

    /// <summary>Deliveries per MessageId.</summary>
    public IReadOnlyDictionary<Guid, int> Received => _received;

    /// <summary>Applied messages by MessageId.</summary>
    public IReadOnlyDictionary<Guid, OutboxRunStepRequested> Applied => _applied;

    /// <summary>Applied messages of one run, in the order they arrived.</summary>
    public IReadOnlyList<OutboxRunStepRequested> AppliedFor(Guid runId) => _appliedInOrder.Where(m => m.RunId == runId).ToList();
}
