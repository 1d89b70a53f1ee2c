namespace Mlops.Kafka.Consuming;

/// <summary>Settings of one consumer host.</summary>
public sealed class KafkaConsumerOptions
{
    /// <summary>Topics to subscribe to.</summary>
    public IList<string> Topics { get; } = [];

    /// <summary>Handler name used in logs and dead-letter reasons.</summary>
    public string HandlerName { get; set; } = "handler";

    /// <summary>
    /// Most records handed to the handler at once. 1 for per-record handlers; batch handlers use more so one
    /// transaction and one round of broker acknowledgements cover many records.
    /// </summary>
    public int MaxBatchSize { get; set; } = 1;

    /// <summary>Consumer group; also the idempotency scope.</summary>
    public string GroupId { get; set; } = "";

    /// <summary>
    /// Handler attempts per record before it is dead-lettered, counting only failures that are not transient and only
    /// while the service's readiness checks pass; a dependency that does not answer pauses the consumer instead.
    /// </summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Delay before the first retry; doubled each further attempt up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of the retry delay.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Overrides <see cref="KafkaOptions.DependencyInitialBackoff"/> for this consumer.</summary>
    public TimeSpan? DependencyInitialBackoff { get; set; }

    /// <summary>Overrides <see cref="KafkaOptions.DependencyMaxBackoff"/> for this consumer.</summary>
    public TimeSpan? DependencyMaxBackoff { get; set; }

    /// <summary>
    /// Answers a record that is not a readable envelope instead of the dead-letter topic — for an intake whose senders
    /// read refusals from a topic of their own (ingestion's <c>observations.rejected.v1</c>). If it throws, the record is
    /// dead-lettered as usual, so it is never lost.
    /// </summary>
    public Func<IServiceProvider, InvalidKafkaRecord, CancellationToken, Task>? OnInvalidRecord { get; set; }

    /// <summary>Dead-letter topic; the platform default when null.</summary>
    public string? DeadLetterTopic { get; set; }

    /// <summary>Commit stored offsets after this many handled records ...</summary>
    public int CommitEvery { get; set; } = 100;

    /// <summary>... or after this much time, whichever comes first.</summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromSeconds(1);
}
