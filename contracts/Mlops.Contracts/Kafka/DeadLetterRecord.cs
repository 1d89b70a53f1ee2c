namespace Mlops.Contracts.Kafka;

/// <summary>
/// What a consumer writes to the dead-letter topic when it gives up on a record: the original record,
/// untouched, and why it could not be processed.
/// </summary>
public sealed record DeadLetterRecord
{
    /// <summary>Topic the record was read from.</summary>
    public required string OriginalTopic { get; init; }

    /// <summary>Partition the record was read from.</summary>
    public required int OriginalPartition { get; init; }

    /// <summary>Offset of the record in its partition.</summary>
    public required long OriginalOffset { get; init; }

    /// <summary>The record key (entity id), if any.</summary>
    public string? OriginalKey { get; init; }

    /// <summary>The record value exactly as received (UTF-8 text).</summary>
    public string? OriginalValue { get; init; }

    /// <summary>The envelope id when the value could be parsed that far.</summary>
    public string? OriginalEventId { get; init; }

    /// <summary>The consumer group that failed.</summary>
    public required string ConsumerGroup { get; init; }

    /// <summary>Human-readable reason naming what was wrong.</summary>
    public required string Reason { get; init; }

    /// <summary>Failure category: <c>invalid-envelope</c>, <c>rejected</c> or <c>handler-failed</c>.</summary>
    public required string FailureKind { get; init; }

    /// <summary>CLR type of the exception that caused the failure, when there was one.</summary>
    public string? ExceptionType { get; init; }

    /// <summary>How many times the handler was attempted.</summary>
    public required int Attempts { get; init; }

    /// <summary>When the consumer gave up.</summary>
    public required DateTimeOffset FailedAt { get; init; }
}
