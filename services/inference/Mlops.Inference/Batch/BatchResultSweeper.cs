using Microsoft.Extensions.Options;

namespace Mlops.Inference.Batch;

/// <summary>
/// Deletes the result rows of jobs finished more than <see cref="BatchJobOptions.ResultRetention"/> ago (succeeded,
/// failed or cancelled alike), job by job, each in its own transaction that also marks the job expired; the job itself
/// stays, so its lineage (model version, dataset version, counts) outlives its rows. Every replica sweeps; each takes a
/// different job (<c>FOR UPDATE SKIP LOCKED</c>), so sweeping twice deletes nothing twice.
/// </summary>
public sealed class BatchResultSweeper(BatchJobStore store, IOptions<BatchJobOptions> options, TimeProvider clock, ILogger<BatchResultSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var interval = TimeSpan.FromTicks(Math.Min(settings.ResumeInterval.Ticks, settings.ResultRetention.Ticks / 4));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Deleting expired batch results failed ({Reason}); next round in {Interval}", ex.Message, interval);
            }

            await Task.Delay(interval, clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>One round: every job past its retention loses its rows; returns how many jobs did.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var expired = 0;
        var before = clock.GetUtcNow() - options.Value.ResultRetention;
        while (await store.ExpireOneAsync(before, cancellationToken) is { } jobId)
        {
            expired++;
            logger.LogInformation("Batch job {Job}: results deleted, finished more than {Retention} ago", jobId, options.Value.ResultRetention);
        }

        return expired;
    }
}
