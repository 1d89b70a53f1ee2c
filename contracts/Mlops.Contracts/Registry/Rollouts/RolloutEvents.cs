namespace Mlops.Contracts.Registry;

/// <summary>
/// What every rollout history event carries: the rollout, the model whose registry history records it, and the step
/// and analysis it belongs to (together with the event type, the key that makes recording it idempotent).
/// </summary>
public interface IRolloutEvent
{
    Guid RolloutId { get; }

    string ModelName { get; }

    string CandidateVersion { get; }

    int Step { get; }

    int Analysis { get; }
}

/// <summary>Event: a rollout step began; the challenger was sent to <see cref="TrafficPercent"/>.</summary>
[EventType("mlops.registry.rollout-step-started.v1")]
public sealed record RolloutStepStarted : IRolloutEvent
{
    public required Guid RolloutId { get; init; }
    public required string ModelName { get; init; }
    public required string CandidateVersion { get; init; }
    public required int Step { get; init; }
    public int Analysis { get; init; }
    public required int TrafficPercent { get; init; }
    public required string Reason { get; init; }
}

/// <summary>Event: one analysis of a step, with every measurement, its limit and verdict (the evidence of the decision).</summary>
[EventType("mlops.registry.rollout-step-analysed.v1")]
public sealed record RolloutStepAnalysed : IRolloutEvent
{
    public required Guid RolloutId { get; init; }
    public required string ModelName { get; init; }
    public required string CandidateVersion { get; init; }
    public required int Step { get; init; }
    public required int Analysis { get; init; }
    public required int TrafficPercent { get; init; }

    /// <summary>Failed when any measurement failed, else inconclusive when any was, else passed.</summary>
    public required string Verdict { get; init; }

    public required IReadOnlyList<RolloutMeasurement> Measurements { get; init; }

    /// <summary>Cumulative counters read now: the next analysis's baseline.</summary>
    public IReadOnlyDictionary<string, double> Snapshot { get; init; } = new Dictionary<string, double>();

    public required DateTimeOffset MeasuredAt { get; init; }
}

/// <summary>Event: a rollout stopped at an inconclusive analysis and waits for a person (approve, abort or promote).</summary>
[EventType("mlops.registry.rollout-paused.v1")]
public sealed record RolloutPaused : IRolloutEvent
{
    public required Guid RolloutId { get; init; }
    public required string ModelName { get; init; }
    public required string CandidateVersion { get; init; }
    public required int Step { get; init; }
    public required int Analysis { get; init; }
    public required string Reason { get; init; }
}

/// <summary>Event: the candidate's traffic was taken away after a breach (or a refused promotion), with the evidence.</summary>
[EventType("mlops.registry.rollout-rolled-back.v1")]
public sealed record RolloutRolledBack : IRolloutEvent
{
    public required Guid RolloutId { get; init; }
    public required string ModelName { get; init; }
    public required string CandidateVersion { get; init; }
    public required int Step { get; init; }
    public required int Analysis { get; init; }
    public required string Reason { get; init; }
    public IReadOnlyList<RolloutMeasurement> Evidence { get; init; } = [];
}

/// <summary>Event: a person aborted the rollout; the candidate's traffic was taken away.</summary>
[EventType("mlops.registry.rollout-aborted.v1")]
public sealed record RolloutAborted : IRolloutEvent
{
    public required Guid RolloutId { get; init; }
    public required string ModelName { get; init; }
    public required string CandidateVersion { get; init; }
    public required int Step { get; init; }
    public required int Analysis { get; init; }
    public required string AbortedBy { get; init; }
    public required string Reason { get; init; }
}

/// <summary>Event: the candidate became champion; the rollout is complete.</summary>
[EventType("mlops.registry.rollout-promoted.v1")]
public sealed record RolloutPromoted : IRolloutEvent
{
    public required Guid RolloutId { get; init; }
    public required string ModelName { get; init; }
    public required string CandidateVersion { get; init; }
    public required int Step { get; init; }
    public required int Analysis { get; init; }
    public required string PromotedBy { get; init; }
    public required string Reason { get; init; }
}
