namespace Mlops.ServiceDefaults.Background;

/// <summary>
/// Wakes a polling worker (an outbox relay, a publisher) as soon as this process stored work for it, so delivery does
/// not wait for the next poll. The poll stays: work stored by another replica, or before a restart, is found by it.
/// Subclassed per worker so each registers as its own singleton.
/// </summary>
public class WakeSignal
{
    readonly SemaphoreSlim _pending = new(0, 1);

    /// <summary>Says there is work; signals that arrive before the worker wakes count as one.</summary>
    public void Notify()
    {
        try
        {
            _pending.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one wake-up covers everything stored before it.
        }
    }

    /// <summary>Waits for a signal or the poll interval, whichever comes first.</summary>
    public Task WaitAsync(TimeSpan pollInterval, CancellationToken cancellationToken) => _pending.WaitAsync(pollInterval, cancellationToken);
}
