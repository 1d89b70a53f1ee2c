namespace Mlops.EventStore;

/// <summary>
/// The event store seen by a service. Kept small on purpose: it is the seam where a Marten-backed
/// implementation would replace the PostgreSQL one without the domain noticing.
/// </summary>
public interface IEventStore
{
    /// <summary>
    /// Appends <paramref name="events"/> atomically, with inline projections and outbox rows in the same
    /// transaction. Throws <see cref="ConcurrencyConflictException"/> when the stream is not at
    /// <paramref name="expectedVersion"/> (<see cref="ExpectedVersion"/> for the special values).
    /// </summary>
    Task<AppendResult> AppendAsync(string streamId, long expectedVersion, IReadOnlyList<object> events, EventMetadata? metadata = null, CancellationToken cancellationToken = default);

    /// <summary>Loads a stream in order: whole, up to <paramref name="toVersion"/>, and/or as it was at <paramref name="asOf"/>.</summary>
    Task<StreamEvents> LoadAsync(string streamId, long? toVersion = null, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default);

    /// <summary>Reads events of every stream after <paramref name="afterPosition"/>, in global order.</summary>
    Task<IReadOnlyList<RecordedEvent>> ReadAllAsync(long afterPosition, int maxCount, CancellationToken cancellationToken = default);
}
