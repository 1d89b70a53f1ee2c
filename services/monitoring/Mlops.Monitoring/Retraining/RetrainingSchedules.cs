using Quartz;

namespace Mlops.Monitoring.Retraining;

/// <summary>One trigger per scheduled model, the same whether the schedule is shipped or set over the API.</summary>
public static class RetrainingSchedules
{
    public static TriggerKey TriggerOf(string model) => new($"retrain-{model}");

    public static JobKey JobOf(string model) => new($"retrain-{model}-job");

    public static TimeZoneInfo ZoneOf(string? timeZone) =>
        string.IsNullOrWhiteSpace(timeZone) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(timeZone);

    /// <summary>
    /// A schedule set over the API, for the running scheduler, with the shipped schedules' identity, data and misfire rule:
    /// the model travels in the trigger's data (one job type, one trigger per scheduled model), and a schedule missed while
    /// the service was down fires once when it is back, not once per missed slot.
    /// </summary>
    public static ITrigger Build(string model, string cron, string? timeZone, IJobDetail job) =>
        TriggerBuilder.Create().WithIdentity(TriggerOf(model)).ForJob(job).WithDescription(cron).UsingJobData(ScheduledRetrainingJob.ModelKey, model)
            .WithCronSchedule(cron, schedule => schedule.InTimeZone(ZoneOf(timeZone)).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed))
            .Build();
}
