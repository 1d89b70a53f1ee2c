using System.Text.Json.Serialization;
using MassTransit;
using Mlops.Contracts.Registry;

namespace Mlops.Registry.Rollouts;

/// <summary>A rollout's progress: the plan, where it stands, and every step with every analysis it ran (the evidence).</summary>
public sealed class RolloutState : SagaStateMachineInstance, ISagaVersion
{
    public Guid CorrelationId { get; set; }

    public int Version { get; set; }

    public string CurrentState { get; set; } = "";

    public StartRollout? Request { get; set; }

    /// <summary>Index into <see cref="StartRollout.Steps"/> of the current step.</summary>
    public int StepIndex { get; set; }

    /// <summary>Analyses run so far over the whole rollout (numbers them).</summary>
    public int AnalysisCount { get; set; }

    /// <summary>Failed analyses in the current step.</summary>
    public int Failures { get; set; }

    /// <summary>Passed analyses in a row in the current step.</summary>
    public int ConsecutiveSuccesses { get; set; }

    /// <summary>The decision taken on the message being handled (set and consumed within one transition).</summary>
    public RolloutNext? PendingNext { get; set; }

    /// <summary>When the next analysis is due (persisted: the sweeper reads it, so a restart loses no timer).</summary>
    public DateTimeOffset? AnalysisDueAt { get; set; }

    /// <summary>Cumulative counters of the last analysis, the next one's baseline.</summary>
    public Dictionary<string, double> Baseline { get; set; } = new();

    public List<RolloutStepRecord> Steps { get; set; } = [];

    /// <summary>Manual actions (approve, abort, promote-now) with who and why.</summary>
    public List<RolloutActionRecord> Actions { get; set; } = [];

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Why the rollout is where it is (pause, rollback, promotion).</summary>
    public string? Reason { get; set; }

    [JsonIgnore]
    public RolloutStepRecord? CurrentStep => Steps.Count > 0 ? Steps[^1] : null;
}

public sealed class RolloutStepRecord
{
    public int Index { get; set; }

    public int TrafficPercent { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>passed, approved, failed, aborted, promoted-now; null while running.</summary>
    public string? Outcome { get; set; }

    public List<RolloutAnalysisRecord> Analyses { get; set; } = [];
}

public sealed class RolloutAnalysisRecord
{
    public int Number { get; set; }

    public DateTimeOffset MeasuredAt { get; set; }

    public string Verdict { get; set; } = "";

    public List<RolloutMeasurement> Measurements { get; set; } = [];
}

public sealed class RolloutActionRecord
{
    public string Action { get; set; } = "";

    public string By { get; set; } = "";

    public string Reason { get; set; } = "";

    public DateTimeOffset At { get; set; }
}
