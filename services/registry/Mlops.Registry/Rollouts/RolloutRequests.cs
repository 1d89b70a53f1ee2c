using Mlops.Contracts.Registry;

namespace Mlops.Registry.Rollouts;

/// <summary>Body of <c>POST /api/registry/rollouts</c>.</summary>
public sealed record StartRolloutRequest(
    string? ModelName, string? CandidateVersion, List<int>? Steps, TimeSpan? AnalysisInterval, RolloutThresholds? Thresholds,
    int? FailureLimit, int? ConsecutiveSuccesses, string? RequestedBy);

/// <summary>Body of approve, abort and promote.</summary>
public sealed record RolloutActionRequest(string? By, string? Reason);

/// <summary>A rollout as the API shows it: plan, state, every step with every analysis and its measurements.</summary>
public sealed record RolloutView(
    Guid RolloutId, string State, string ModelName, string CandidateVersion, IReadOnlyList<int> Steps, TimeSpan AnalysisInterval,
    RolloutThresholds Thresholds, int FailureLimit, int ConsecutiveSuccessesNeeded, int CurrentStep, int Failures, int ConsecutiveSuccesses,
    DateTimeOffset? NextAnalysisAt, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string? Reason, string RequestedBy,
    IReadOnlyList<RolloutStepRecord> StepHistory, IReadOnlyList<RolloutActionRecord> Actions)
{
    public static RolloutView Of(RolloutState s) => new(
        s.CorrelationId, s.CurrentState, s.Request!.ModelName, s.Request.CandidateVersion, s.Request.Steps, s.Request.AnalysisInterval, s.Request.Thresholds,
        s.Request.FailureLimit, s.Request.ConsecutiveSuccesses, s.StepIndex, s.Failures, s.ConsecutiveSuccesses, s.AnalysisDueAt, s.StartedAt, s.FinishedAt,
        s.Reason, s.Request.RequestedBy, s.Steps, s.Actions);
}
