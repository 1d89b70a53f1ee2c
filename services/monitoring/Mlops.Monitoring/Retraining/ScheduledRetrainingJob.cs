using MassTransit;
using Mlops.Contracts.Monitoring;
using Quartz;

namespace Mlops.Monitoring.Retraining;

/// <summary>The schedule trigger: Quartz fires it on a model's cron; it sends the retraining request (debounced like any other).</summary>
[DisallowConcurrentExecution]
public sealed class ScheduledRetrainingJob(ISendEndpointProvider endpoints, TimeProvider clock) : IJob
{
    public const string ModelKey = "model";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var model = context.MergedJobDataMap.GetString(ModelKey) ?? throw new JobExecutionException("the job has no model");
        var fired = context.ScheduledFireTimeUtc ?? clock.GetUtcNow();
        await RetrainingRequests.SendAsync(endpoints, RetrainingRequests.Create(NewId.NextGuid(), model, RetrainingTriggers.Schedule,
            $"scheduled retraining ({context.Trigger.Description ?? "cron"}) due {fired:O}", "monitoring:schedule",
            new Dictionary<string, string> { ["scheduledFor"] = fired.ToString("O"), ["trigger"] = context.Trigger.Key.ToString() }, clock.GetUtcNow()),
            cancellationToken);
    }
}
