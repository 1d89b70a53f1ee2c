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

    // Called on every use (each batch): after the first, only a read.
    internal void Began(KafkaInbox inbox)
    {
        if (!_first.Task.IsCompleted)
        {
            _first.TrySetResult(inbox);
        }
    }
}
