using Microsoft.Extensions.Options;
using Mlops.Monitoring.Retraining;
using Mlops.ServiceDefaults.Resilience;
using Quartz;

namespace Mlops.Monitoring.Settings;

/// <summary>
/// Keeps this replica's Quartz triggers in line with the schedules set over the API: at start, after a change made
/// through this replica, and every <see cref="RetrainingOptions.SweepInterval"/> for changes made through another. Each
/// replica fires its own trigger; the retraining debounce lets one request per model through.
/// </summary>
public sealed class RetrainingScheduleSync(
    ISchedulerFactory schedulers, ModelSettingsStore settings, IOptions<RetrainingOptions> options, ILogger<RetrainingScheduleSync> logger) : BackgroundService
{
    readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Schedules, reschedules or unschedules each model whose stored settings name its retraining.</summary>
    public async Task ReconcileAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var scheduler = await schedulers.GetScheduler(ct);
            foreach (var (model, stored) in await settings.ListAsync(ct))
            {
                if (stored.Retraining is not { } retraining)
                {
                    continue;
                }

                var key = RetrainingSchedules.TriggerOf(model);
                var existing = await scheduler.GetTrigger(key, ct) as ICronTrigger;
                if (string.IsNullOrWhiteSpace(retraining.Schedule))
                {
                    if (existing is not null)
                    {
                        await scheduler.UnscheduleJob(key, ct);
                        logger.LogInformation("Retraining schedule of {Model} removed", model);
                    }

                    continue;
                }

                var zone = RetrainingSchedules.ZoneOf(retraining.TimeZone);
                if (existing is not null && existing.CronExpressionString == retraining.Schedule && existing.TimeZone.Id == zone.Id)
                {
                    continue;
                }

                var job = JobBuilder.Create<ScheduledRetrainingJob>().WithIdentity(RetrainingSchedules.JobOf(model)).Build();
                var trigger = RetrainingSchedules.Build(model, retraining.Schedule, retraining.TimeZone, job);
                await scheduler.ScheduleJob(job, [trigger], new ScheduleJobOptions { Replace = true }, ct);
                logger.LogInformation("Retraining of {Model} scheduled: {Cron} ({Zone})", model, retraining.Schedule, zone.Id);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval);
        do
        {
            try
            {
                await ReconcileAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // A database that does not answer (or one model's schedule this host cannot read) must not stop the others.
                logger.LogWarning("Retraining schedules not applied ({Error}); trying again in {Interval}{Transient}", e.Message, options.Value.SweepInterval,
                    TransientFailure.Is(e, stoppingToken) ? "" : " (not transient)");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
