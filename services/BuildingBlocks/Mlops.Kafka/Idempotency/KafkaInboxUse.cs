namespace Mlops.Kafka.Idempotency;

/// <summary>
/// Signals the first use of the inbox in this process. The purger waits on it instead of resolving the inbox itself:
/// resolving it needs the service's database, which a Kafka service without idempotent consumers may not have.
/// </summary>
public sealed class KafkaInboxUse
{
    readonly TaskCompletionSource<KafkaInbox> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the inbox once its table exists.</summary>
    public Task<KafkaInbox> FirstUse => _first.Task;

    internal void Began(KafkaInbox inbox) => _first.TrySetResult(inbox);
}
