namespace Mlops.EventStore;

/// <summary>An event as stored: its identity, place in its stream and in the global order, and its payload.</summary>
public sealed record RecordedEvent
{
    /// <summary>Unique id of the event; also the message id when it is published.</summary>
    public required Guid EventId { get; init; }

    /// <summary>The stream the event belongs to.</summary>
    public required string StreamId { get; init; }

    /// <summary>Position in the stream, starting at 1.</summary>
    public required long Version { get; init; }

    /// <summary>Position in the global order of the store, gap-free in commit order except for rolled-back appends.</summary>
    public required long Position { get; init; }

    /// <summary>The stored type name (after upcasting: the current name).</summary>
    public required string EventType { get; init; }

    /// <summary>The payload, deserialized to its CLR type.</summary>
    public required object Data { get; init; }

    /// <summary>Who and why.</summary>
    public required EventMetadata Metadata { get; init; }

    /// <summary>When the append committed its events (database clock).</summary>
    public required DateTimeOffset RecordedAt { get; init; }
}

/// <summary>A stream loaded whole, up to a version or as of a time.</summary>
/// <param name="StreamId">The stream.</param>
/// <param name="Version">Version of the last event loaded (0 when none).</param>
/// <param name="Events">The events in stream order.</param>
public sealed record StreamEvents(string StreamId, long Version, IReadOnlyList<RecordedEvent> Events);

/// <summary>The outcome of a successful append.</summary>
/// <param name="StreamId">The stream.</param>
/// <param name="NextExpectedVersion">The stream's version after the append; pass it as the next expected version.</param>
/// <param name="Events">The events as recorded.</param>
public sealed record AppendResult(string StreamId, long NextExpectedVersion, IReadOnlyList<RecordedEvent> Events);
