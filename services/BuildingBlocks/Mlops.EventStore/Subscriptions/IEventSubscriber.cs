using Npgsql;

namespace Mlops.EventStore.Subscriptions;

/// <summary>
/// Handles every event of the store in global order, from its stored checkpoint on. The handler's writes and the
/// new checkpoint commit in one transaction, so database effects happen exactly once; other effects (calls,
/// messages) must be idempotent, since a crash re-delivers the last uncommitted batch.
/// </summary>
public interface IEventSubscriber
{
    /// <summary>Name of the subscription; its checkpoint is stored under it.</summary>
    string SubscriptionName { get; }

    /// <summary>Handles one batch on the transaction that will also store the checkpoint.</summary>
    Task HandleAsync(IReadOnlyList<RecordedEvent> events, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken);
}
