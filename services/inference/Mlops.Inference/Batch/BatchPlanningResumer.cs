using Microsoft.Extensions.Options;

namespace Mlops.Inference.Batch;

/// <summary>
/// Finishes the planning of jobs whose planner died (a process killed after recording the job, before its chunks were
/// all on the topic), at start and every <see cref="BatchJobOptions.ResumeInterval"/>. A job is resumed only by the
/// replica that wins its planning lock: a live planner holds it for the whole planning, and so does a replica resuming,
/// so exactly one process works on a job's planning at a time. A database, broker or features service that does not
/// answer leaves the job in planning for the next round.
/// </summary>
public sealed class BatchPlanningResumer(
    BatchJobStore store, IServiceScopeFactory scopes, IOptions<BatchJobOptions> options, ILogger<BatchPlanningResumer> logger) : BackgroundService
{
    /// <summary>Jobs looked at per round; more wait for the next.</summary>
    const int JobsPerRound = 100;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ResumeStuckAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Looking for batch jobs left in planning failed ({Reason}); next round in {Interval}", ex.Message, options.Value.ResumeInterval);
            }

            await Task.Delay(options.Value.ResumeInterval, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>One round: every planning job whose lock is free is planned to the end; returns how many were.</summary>
    public async Task<int> ResumeStuckAsync(CancellationToken cancellationToken)
    {
        var resumed = 0;
        foreach (var jobId in await store.PlanningJobsAsync(JobsPerRound, cancellationToken))
        {
            await using var planningLock = await store.TryLockPlanningAsync(jobId, cancellationToken);
            if (planningLock is null)
            {
                continue; // its planner is alive, or another replica is resuming it
            }

            // Read again under the lock: the planner may have finished between the listing and the lock.
            if (await store.FindAsync(jobId, cancellationToken, countRows: false) is not { State: BatchJobStates.Planning } job)
            {
                continue;
            }

            logger.LogWarning("Batch job {Job} was left in planning (its planner died); resuming it", jobId);
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<BatchJobPlanner>().ResumeAsync(job, cancellationToken);
            resumed++;
        }

        return resumed;
    }
}
