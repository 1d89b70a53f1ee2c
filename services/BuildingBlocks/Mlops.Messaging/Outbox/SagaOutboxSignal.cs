namespace Mlops.Messaging.Outbox;

/// <summary>Wakes the relay when this process committed outbox messages, so delivery does not wait for the next poll.</summary>
public sealed class SagaOutboxSignal
{
    readonly SemaphoreSlim _pending = new(0, 1);

    /// <summary>Called after a saga transaction with outbox messages committed.</summary>
    public void Notify()
    {
        try
        {
            _pending.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled; one wake-up covers every commit before it.
        }
    }

    /// <summary>Waits for a signal or the poll interval, whichever comes first.</summary>
    public Task WaitAsync(TimeSpan pollInterval, CancellationToken cancellationToken) => _pending.WaitAsync(pollInterval, cancellationToken);
}
