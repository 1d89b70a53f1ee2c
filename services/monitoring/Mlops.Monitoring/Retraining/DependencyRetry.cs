using System.Diagnostics;
using Mlops.ServiceDefaults.Resilience;

namespace Mlops.Monitoring.Retraining;

/// <summary>
/// Transient is not poison: a step whose service does not answer (connection refused, 5xx, timeout) is tried again with a
/// capped doubling pause for up to <see cref="RetrainingOptions.DependencyRetryLimit"/>; then the message is given back
/// to MassTransit's retry. The saga's deadline, not the error, decides when a retraining gives up.
/// </summary>
internal static class DependencyRetry
{
    public static async Task<T> WhileRecoveringAsync<T>(string step, Func<Task<T>> work, TimeSpan limit, ILogger logger, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await work();
            }
            catch (Exception e) when (e is not RetrainingStepException && TransientFailure.Is(e, ct) && Stopwatch.GetElapsedTime(started) < limit)
            {
                logger.LogWarning("Retraining step {Step}: a dependency did not answer ({Error}); try {Attempt} in {Pause}", step, e.Message, attempt + 1, pause);
                await Task.Delay(pause, ct);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }
}
