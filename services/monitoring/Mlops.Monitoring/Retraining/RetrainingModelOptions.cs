namespace Mlops.Monitoring.Retraining;

/// <summary>Which triggers may retrain one model (<c>Monitoring:Retraining:Models:&lt;name&gt;</c>).</summary>
public sealed class RetrainingModelOptions
{
    /// <summary>Quartz cron expression (seconds first, e.g. <c>0 0 3 ? * SUN</c>); none: no scheduled retraining.</summary>
    public string? Schedule { get; set; }

    /// <summary>Time zone the schedule is read in (IANA or Windows id); UTC when empty.</summary>
    public string? TimeZone { get; set; }

    /// <summary>Retrain on <c>DriftDetected</c> for the model's champion.</summary>
    public bool OnDrift { get; set; }

    /// <summary>Retrain on <c>PerformanceDegraded</c> for the model's champion.</summary>
    public bool OnDegradation { get; set; }

    /// <summary>The canary rollout of this model's candidates; null uses <see cref="RetrainingOptions.Rollout"/>.</summary>
    public RetrainingRolloutOptions? Rollout { get; set; }

    /// <summary>
    /// Retrain over a recent window: only labels whose event time lies within this much before the retraining starts
    /// (<c>StartTrainingRun.LabelsFrom</c>); null: every label of the fresh snapshot.
    /// </summary>
    public TimeSpan? TrainingWindow { get; set; }

    /// <summary>
    /// How long after one of this model's retrainings ends another is debounced; null uses
    /// <see cref="RetrainingOptions.Cooldown"/>. A model whose labels arrive within hours can afford a short one.
    /// </summary>
    public TimeSpan? Cooldown { get; set; }

    public bool IsValid() =>
        TrainingWindow is null or { Ticks: > 0 } && Cooldown is null or { Ticks: >= 0 } &&
        (Schedule is null || Quartz.CronExpression.TryParse(Schedule, out _))
        && (string.IsNullOrWhiteSpace(TimeZone) || TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
        && Rollout?.IsValid() != false;
}
