using MassTransit;
using Mlops.Contracts.Monitoring;

namespace Mlops.Monitoring.Retraining;

/// <summary>One retraining: the request, where it stands, each step with its evidence, and the outcome.</summary>
public sealed class RetrainingState : SagaStateMachineInstance, ISagaVersion
{
    /// <summary>The retraining's id: the accepted request's id, and the id of the training run it starts.</summary>
    public Guid CorrelationId { get; set; }

    public int Version { get; set; }

    public string CurrentState { get; set; } = "";

    public RequestRetraining? Request { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    /// <summary>The current step's deadline (persisted: the sweeper reads it, so a restart loses no timer).</summary>
    public DateTimeOffset? DeadlineAt { get; set; }

    public RetrainingPrepared? Plan { get; set; }

    public string? CandidateVersion { get; set; }

    public RetrainingComparison? Comparison { get; set; }

    /// <summary>The registry's rollout (the rollout events are correlated by it).</summary>
    public Guid? RolloutId { get; set; }

    public List<RetrainingStepRecord> Steps { get; set; } = [];

    /// <summary><see cref="RetrainingOutcomes"/>; null while running.</summary>
    public string? Outcome { get; set; }

    public string? Reason { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }
}

/// <summary>One step of a retraining: what was done, when, and what it found.</summary>
public sealed class RetrainingStepRecord
{
    /// <summary>prepare, train, evaluate, rollout.</summary>
    public string Step { get; set; } = "";

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>done, failed, rejected, timed-out, rolled-back, promoted; null while running.</summary>
    public string? Outcome { get; set; }

    public Dictionary<string, string> Evidence { get; set; } = new(StringComparer.Ordinal);
}
