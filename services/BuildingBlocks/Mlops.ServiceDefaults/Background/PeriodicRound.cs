using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mlops.ServiceDefaults.Resilience;

namespace Mlops.ServiceDefaults.Background;

/// <summary>
/// Background work as rounds every <see cref="Interval"/> (drift and performance evaluation, SLO scrapes, purges): a
/// dependency that does not answer skips the round with a warning, any other error is logged, and the next round runs
/// as usual — no round ends the service.
/// </summary>
public abstract class PeriodicRound(ILogger logger, TimeProvider clock) : BackgroundService
{
    /// <summary>The clock of the rounds' timer, for subclasses' own readings of time.</summary>
    protected TimeProvider Clock { get; } = clock;

    /// <summary>Time between the starts of two rounds.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>What a round does, for the log ("SLO evaluation").</summary>
    protected abstract string Work { get; }

    /// <summary>One round, also called directly by tests.</summary>
    public abstract Task RunOnceAsync(CancellationToken ct);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, Clock);
        try
        {
            do
            {
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (TransientFailure.Is(e, stoppingToken))
                {
                    logger.LogWarning("{Work} paused: {Reason}", Work, e.Message);
                }
                catch (Exception e)
                {
                    logger.LogError(e, "{Work} failed; retrying at the next tick", Work);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping (or the host disposed without a stop): the wait for the next tick ends, the round does not fail.
        }
    }
}
