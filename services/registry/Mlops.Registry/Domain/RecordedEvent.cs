namespace Mlops.Registry.Domain;

/// <summary>
/// A registry event as stored: its identity, place in its model's stream and in the store's global order, who
/// caused it and why. The domain and the model cards read this shape, never the store's own event type, so the
/// decisions stay free of I/O and of the storage library.
/// </summary>
public sealed record RecordedEvent
{
    /// <summary>Unique id of the event; also the message id (bus) and envelope id (Kafka) when it is published.</summary>
    public required Guid EventId { get; init; }

    /// <summary>The model's stream.</summary>
    public required string StreamId { get; init; }

    /// <summary>Position in the stream, starting at 1: the model's revision after this event.</summary>
    public required long Version { get; init; }

    /// <summary>Position in the store's global order.</summary>
    public required long Position { get; init; }

    /// <summary>The stored type name (the contract's <c>[EventType]</c> name).</summary>
    public required string EventType { get; init; }

    /// <summary>The payload.</summary>
    public required object Data { get; init; }

    /// <summary>Who and why.</summary>
    public required EventMetadata Metadata { get; init; }

    /// <summary>When the event was appended.</summary>
    public required DateTimeOffset RecordedAt { get; init; }
}

/// <summary>Who caused an append and why; stored with every event of the append.</summary>
public sealed record EventMetadata
{
    public string? Actor { get; init; }

    public string? Reason { get; init; }
}
