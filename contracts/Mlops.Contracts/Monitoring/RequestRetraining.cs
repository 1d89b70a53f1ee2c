namespace Mlops.Contracts.Monitoring;

/// <summary>
/// Command: retrain <see cref="ModelName"/> on recent data and, if the candidate beats the champion on the same rows, roll
/// it out. Sent by every trigger (schedule, drift, degradation, a person); monitoring's retraining saga debounces it: at
/// most one retraining per model at a time and a cooldown after one ends (a debounced request is recorded with why).
/// </summary>
public sealed record RequestRetraining
{
    /// <summary>Chosen by the sender; becomes the retraining's id when the request is accepted (and the training run's).</summary>
    public required Guid RequestId { get; init; }

    public required string ModelName { get; init; }

    /// <summary>One of <see cref="RetrainingTriggers"/>.</summary>
    public required string Trigger { get; init; }

    public required string Reason { get; init; }

    public required string RequestedBy { get; init; }

    /// <summary>What the trigger saw (e.g. alert id, window, AUROC against its baseline); small, shown as is.</summary>
    public IReadOnlyDictionary<string, string> Evidence { get; init; } = new Dictionary<string, string>();

    public required DateTimeOffset RequestedAt { get; init; }
}

/// <summary>What can ask for a retraining.</summary>
public static class RetrainingTriggers
{
    public const string Schedule = "schedule";
    public const string Drift = "drift";
    public const string Degradation = "degradation";
    public const string Manual = "manual";

    public static readonly IReadOnlyList<string> All = [Schedule, Drift, Degradation, Manual];
}
