using System.Collections.Concurrent;

namespace Mlops.Registry.Application;

/// <summary>
/// One writer at a time per model stream within this process. The API, the traffic-split consumer and the rollout
/// history consumer all append to a model's stream, and during a rollout they do so within milliseconds of each other:
/// without this each race lost one append to Marten's version check, logged as an error and retried by the bus. Across
/// replicas the version check still decides, and the loser retries.
/// </summary>
public sealed class ModelStreamLocks
{
    readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <summary>
    /// Waits for the model's stream; dispose the result to let the next writer in. A command without a name (refused
    /// later, naming the field) takes the turn of the empty name.
    /// </summary>
    public async Task<IDisposable> EnterAsync(string? modelName, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(modelName ?? "", _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new Release(gate);
    }

    sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
