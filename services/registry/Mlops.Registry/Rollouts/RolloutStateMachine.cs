using System.Globalization;
using MassTransit;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Registry;

namespace Mlops.Registry.Rollouts;

/// <summary>
/// A canary rollout: Progressing (the step's traffic is set, the analysis interval runs) → Analysing (measurements
/// requested) → Progressing again, the next step, Paused (inconclusive), RolledBack (breach beyond the failure
/// limit) or Promoting (last step passed) → Promoted. A person can approve a pause, abort, or promote at once.
/// Transitions only record state and send commands (traffic to the registry's command queue, measurements to
/// <see cref="AnalyseRolloutStepConsumer"/>, promotion to <see cref="PromoteRolloutCandidateConsumer"/>); the history
/// events they publish are recorded in the model's registry stream by <see cref="RolloutHistoryConsumer"/>.
/// </summary>
public sealed class RolloutStateMachine : MassTransitStateMachine<RolloutState>
{
    public const string Actor = "rollout";

    readonly TimeProvider _time;

    public RolloutStateMachine(TimeProvider time)
    {
        _time = time;
        InstanceState(x => x.CurrentState);
        Event(() => Started, e => e.CorrelateById(m => m.Message.RolloutId));
        Event(() => AnalysisDue, e => { e.CorrelateById(m => m.Message.RolloutId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => Analysed, e => { e.CorrelateById(m => m.Message.RolloutId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => Approved, e => { e.CorrelateById(m => m.Message.RolloutId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => AbortRequested, e => { e.CorrelateById(m => m.Message.RolloutId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => PromoteRequested, e => { e.CorrelateById(m => m.Message.RolloutId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => PromotionDecided, e => { e.CorrelateById(m => m.Message.RolloutId); e.OnMissingInstance(m => m.Discard()); });

        Initially(
            When(Started)
                .Then(c =>
                {
                    c.Saga.Request = c.Message;
                    c.Saga.StartedAt = _time.GetUtcNow();
                    BeginStep(c.Saga, 0);
                })
                .Send(CommandQueues.AddressOf<SetTrafficSplit>(), c => Split(c.Saga, c.Saga.CurrentStep!.TrafficPercent, $"rollout step 1 of {c.Saga.Request!.Steps.Count}"))
                .Publish(c => StepStartedEvent(c.Saga, $"rollout started by {c.Message.RequestedBy}"))
                .TransitionTo(Progressing));

        // The sweeper saw the persisted due time pass; the analysis number makes a repeated signal harmless.
        During(Progressing,
            When(AnalysisDue, c => c.Message.Step == c.Saga.StepIndex && c.Message.Analysis == c.Saga.AnalysisCount + 1)
                .Then(c =>
                {
                    c.Saga.AnalysisCount++;
                    c.Saga.AnalysisDueAt = null;
                })
                .Send(CommandQueues.AddressOf<AnalyseRolloutStep>(), c => new AnalyseRolloutStep
                {
                    RolloutId = c.Saga.CorrelationId, ModelName = c.Saga.Request!.ModelName, CandidateVersion = c.Saga.Request.CandidateVersion,
                    Step = c.Saga.StepIndex, TrafficPercent = c.Saga.CurrentStep!.TrafficPercent, Analysis = c.Saga.AnalysisCount,
                    Thresholds = c.Saga.Request.Thresholds, Baseline = c.Saga.Baseline, RolloutStartedAt = c.Saga.StartedAt,
                })
                .TransitionTo(Analysing),
            Ignore(Analysed));

        // MassTransit runs every activity of an event in order, each filter seeing the state the previous one left:
        // the first records the analysis and decides once; exactly one of the others then acts on that decision.
        During(Analysing,
            Ignore(AnalysisDue),
            When(Analysed, c => c.Message.Step == c.Saga.StepIndex && c.Message.Analysis == c.Saga.AnalysisCount)
                .Then(c => Record(c.Saga, c.Message)),
            AfterAnalysis(RolloutNext.Wait)
                .Then(c => c.Saga.AnalysisDueAt = _time.GetUtcNow() + c.Saga.Request!.AnalysisInterval)
                .TransitionTo(Progressing),
            Advance(AfterAnalysis(RolloutNext.Advance).Then(c => FinishStep(c.Saga, "passed")), "step passed its analysis"),
            StartPromotion(AfterAnalysis(RolloutNext.Promote).Then(c => FinishStep(c.Saga, "passed")), "every step passed its analysis"),
            AfterAnalysis(RolloutNext.Pause)
                .Then(c => c.Saga.Reason = "inconclusive analysis: " + Describe(c.Message.Measurements, RolloutVerdicts.Inconclusive))
                .Publish(c => new RolloutPaused
                {
                    RolloutId = c.Saga.CorrelationId, ModelName = c.Saga.Request!.ModelName, CandidateVersion = c.Saga.Request.CandidateVersion,
                    Step = c.Saga.StepIndex, Analysis = c.Saga.AnalysisCount, Reason = c.Saga.Reason!,
                })
                .TransitionTo(Paused),
            AfterAnalysis(RolloutNext.RollBack)
                .Then(c =>
                {
                    FinishStep(c.Saga, "failed");
                    Finish(c.Saga, $"{c.Saga.Failures} failed analyses (limit {c.Saga.Request!.FailureLimit}): " + Describe(c.Message.Measurements, RolloutVerdicts.Failed));
                })
                .Send(CommandQueues.AddressOf<SetTrafficSplit>(), c => Split(c.Saga, 0, "rollout rolled back: " + c.Saga.Reason))
                .Publish(c => RolledBackEvent(c.Saga, c.Saga.Reason!, c.Message.Measurements))
                .TransitionTo(RolledBack));

        During(Paused,
            Ignore(AnalysisDue), Ignore(Analysed),
            When(Approved).Then(c =>
            {
                Act(c.Saga, "approve", c.Message.ApprovedBy, c.Message.Reason);
                FinishStep(c.Saga, "approved");
                c.Saga.PendingNext = RolloutDecisions.StepDone(c.Saga);
            }),
            Advance(When(Approved, c => c.Saga.PendingNext == RolloutNext.Advance).Then(c => c.Saga.PendingNext = null), "approved after an inconclusive analysis"),
            StartPromotion(When(Approved, c => c.Saga.PendingNext == RolloutNext.Promote).Then(c => c.Saga.PendingNext = null), "approved after an inconclusive analysis of the last step"));

        During(Progressing, Analysing, Paused,
            Ignore(Started),
            When(AbortRequested)
                .Then(c =>
                {
                    Act(c.Saga, "abort", c.Message.RequestedBy, c.Message.Reason);
                    FinishStep(c.Saga, "aborted");
                    Finish(c.Saga, $"aborted by {c.Message.RequestedBy}: {c.Message.Reason}");
                })
                .Send(CommandQueues.AddressOf<SetTrafficSplit>(), c => Split(c.Saga, 0, "rollout aborted: " + c.Message.Reason))
                .Publish(c => new RolloutAborted
                {
                    RolloutId = c.Saga.CorrelationId, ModelName = c.Saga.Request!.ModelName, CandidateVersion = c.Saga.Request.CandidateVersion,
                    Step = c.Saga.StepIndex, Analysis = c.Saga.AnalysisCount, AbortedBy = c.Message.RequestedBy, Reason = c.Message.Reason,
                })
                .TransitionTo(Aborted),
            When(PromoteRequested)
                .Then(c =>
                {
                    Act(c.Saga, "promote", c.Message.RequestedBy, c.Message.Reason);
                    FinishStep(c.Saga, "promoted-now");
                    c.Saga.AnalysisDueAt = null;
                    c.Saga.Reason = $"promoted now by {c.Message.RequestedBy}: {c.Message.Reason}";
                })
                .Send(CommandQueues.AddressOf<PromoteRolloutCandidate>(), c => PromoteCommand(c.Saga, c.Message.RequestedBy, c.Saga.Reason!))
                .TransitionTo(Promoting));

        During(Promoting,
            Ignore(Started), Ignore(AnalysisDue), Ignore(Analysed), Ignore(Approved), Ignore(AbortRequested), Ignore(PromoteRequested),
            When(PromotionDecided, c => c.Message.Status == PromotedStatus)
                .Then(c => Finish(c.Saga, $"{c.Message.Version} is champion ({c.Saga.Reason})"))
                // The candidate serves as champion now: the challenger's share goes back to zero.
                .Send(CommandQueues.AddressOf<SetTrafficSplit>(), c => Split(c.Saga, 0, "rollout complete: candidate promoted to champion"))
                .Publish(c => new RolloutPromoted
                {
                    RolloutId = c.Saga.CorrelationId, ModelName = c.Saga.Request!.ModelName, CandidateVersion = c.Saga.Request.CandidateVersion,
                    Step = c.Saga.StepIndex, Analysis = c.Saga.AnalysisCount, PromotedBy = Actor, Reason = c.Saga.Reason!,
                })
                .TransitionTo(Promoted),
            When(PromotionDecided, c => c.Message.Status == PendingApprovalStatus)
                .Then(c => Finish(c.Saga, $"the promotion policy holds the promotion for approval (promotion {c.Message.PromotionId}); approve it in the registry"))
                .TransitionTo(AwaitingPromotionApproval),
            When(PromotionDecided, c => c.Message.Status != PromotedStatus && c.Message.Status != PendingApprovalStatus)
                .Then(c => Finish(c.Saga, "the registry refused the promotion: " + string.Join("; ", c.Message.Reasons)))
                .Send(CommandQueues.AddressOf<SetTrafficSplit>(), c => Split(c.Saga, 0, c.Saga.Reason!))
                .Publish(c => RolledBackEvent(c.Saga, c.Saga.Reason!, []))
                .TransitionTo(RolledBack));

        // Late or redelivered messages after the outcome change nothing.
        During(Promoted, RolledBack, Aborted, AwaitingPromotionApproval,
            Ignore(Started), Ignore(AnalysisDue), Ignore(Analysed), Ignore(Approved), Ignore(AbortRequested), Ignore(PromoteRequested), Ignore(PromotionDecided));
    }

    public const string PromotedStatus = "Promoted";
    public const string PendingApprovalStatus = "PendingApproval";

    /// <summary>The step's traffic is set; the analysis interval runs (its due time is persisted).</summary>
    public State Progressing { get; private set; } = null!;

    /// <summary>Measurements requested; waiting for them.</summary>
    public State Analysing { get; private set; } = null!;

    /// <summary>An analysis was inconclusive: waiting for approve, abort or promote.</summary>
    public State Paused { get; private set; } = null!;

    /// <summary>Promotion to champion requested from the registry.</summary>
    public State Promoting { get; private set; } = null!;

    public State Promoted { get; private set; } = null!;

    public State RolledBack { get; private set; } = null!;

    public State Aborted { get; private set; } = null!;

    /// <summary>The model's promotion policy holds the champion promotion for a person's approval in the registry.</summary>
    public State AwaitingPromotionApproval { get; private set; } = null!;

    public Event<StartRollout> Started { get; private set; } = null!;
    public Event<RolloutAnalysisDue> AnalysisDue { get; private set; } = null!;
    public Event<RolloutStepAnalysed> Analysed { get; private set; } = null!;
    public Event<ApproveRollout> Approved { get; private set; } = null!;
    public Event<AbortRollout> AbortRequested { get; private set; } = null!;
    public Event<PromoteRollout> PromoteRequested { get; private set; } = null!;
    public Event<RolloutPromotionDecided> PromotionDecided { get; private set; } = null!;

    /// <summary>The states of a rollout still under way (one per model at a time).</summary>
    public static readonly IReadOnlyList<string> ActiveStates = [nameof(Progressing), nameof(Analysing), nameof(Paused), nameof(Promoting)];

    /// <summary>The current analysis's result when <see cref="Record"/> decided <paramref name="next"/>.</summary>
    EventActivityBinder<RolloutState, RolloutStepAnalysed> AfterAnalysis(RolloutNext next) =>
        When(Analysed, c => c.Saga.PendingNext == next).Then(c => c.Saga.PendingNext = null);

    static void Record(RolloutState saga, RolloutStepAnalysed analysis)
    {
        var (next, failures, successes) = RolloutDecisions.AfterAnalysis(saga, analysis.Verdict);
        saga.Failures = failures;
        saga.ConsecutiveSuccesses = successes;
        saga.PendingNext = next;
        saga.Baseline = analysis.Snapshot.ToDictionary();
        saga.CurrentStep!.Analyses.Add(new RolloutAnalysisRecord
        {
            Number = analysis.Analysis, MeasuredAt = analysis.MeasuredAt, Verdict = analysis.Verdict, Measurements = analysis.Measurements.ToList(),
        });
        RolloutTelemetry.Analyses.Add(1, new KeyValuePair<string, object?>("verdict", analysis.Verdict));
    }

    EventActivityBinder<RolloutState, T> Advance<T>(EventActivityBinder<RolloutState, T> binder, string why)
        where T : class =>
        binder
            .Then(c => BeginStep(c.Saga, c.Saga.StepIndex + 1))
            .Send(CommandQueues.AddressOf<SetTrafficSplit>(), c => Split(c.Saga, c.Saga.CurrentStep!.TrafficPercent, $"rollout step {c.Saga.StepIndex + 1} of {c.Saga.Request!.Steps.Count}: {why}"))
            .Publish(c => StepStartedEvent(c.Saga, why))
            .TransitionTo(Progressing);

    EventActivityBinder<RolloutState, T> StartPromotion<T>(EventActivityBinder<RolloutState, T> binder, string why)
        where T : class =>
        binder
            .Then(c =>
            {
                c.Saga.Reason = why;
                c.Saga.AnalysisDueAt = null;
            })
            .Send(CommandQueues.AddressOf<PromoteRolloutCandidate>(), c => PromoteCommand(c.Saga, Actor, why))
            .TransitionTo(Promoting);

    void BeginStep(RolloutState saga, int index)
    {
        var now = _time.GetUtcNow();
        saga.StepIndex = index;
        saga.Failures = 0;
        saga.ConsecutiveSuccesses = 0;
        saga.Reason = null;
        saga.AnalysisDueAt = now + saga.Request!.AnalysisInterval;
        saga.Steps.Add(new RolloutStepRecord { Index = index, TrafficPercent = saga.Request.Steps[index], StartedAt = now });
    }

    void FinishStep(RolloutState saga, string outcome)
    {
        if (saga.CurrentStep is { FinishedAt: null } step)
        {
            step.Outcome = outcome;
            step.FinishedAt = _time.GetUtcNow();
        }
    }

    void Finish(RolloutState saga, string reason)
    {
        saga.Reason = reason;
        saga.AnalysisDueAt = null;
        saga.FinishedAt = _time.GetUtcNow();
        RolloutTelemetry.Finished.Add(1);
    }

    void Act(RolloutState saga, string action, string by, string reason) =>
        saga.Actions.Add(new RolloutActionRecord { Action = action, By = by, Reason = reason, At = _time.GetUtcNow() });

    static string Describe(IEnumerable<RolloutMeasurement> measurements, string verdict) =>
        string.Join("; ", measurements.Where(m => m.Verdict == verdict).Select(m =>
            $"{m.Metric} {(m.Value is { } v ? v.ToString("G4", CultureInfo.InvariantCulture) : "missing")} (limit {m.Threshold.ToString("G4", CultureInfo.InvariantCulture)}): {m.Evidence}"));

    static SetTrafficSplit Split(RolloutState saga, int percent, string reason) => new()
    {
        // Only the challenger's share is the rollout's; a shadow an operator mirrors stays (found by the canary journey:
        // the promotion's final split, delivered after the operator set a shadow, removed it). A rollout analysing
        // divergence mirrored its candidate as the shadow itself (RolloutsApi): its final split turns that mirror off,
        // and only that one (a shadow of another version is an operator's).
        ModelName = saga.Request!.ModelName, ChallengerPercent = percent, KeepShadow = true,
        StopMirroringVersion = percent == 0 && saga.Request.Thresholds.MaxDivergence is not null ? saga.Request.CandidateVersion : null,
        RequestedBy = Actor, Reason = reason, CorrelationId = saga.CorrelationId,
    };

    static PromoteRolloutCandidate PromoteCommand(RolloutState saga, string by, string reason) => new()
    {
        RolloutId = saga.CorrelationId, ModelName = saga.Request!.ModelName, Version = saga.Request.CandidateVersion, RequestedBy = by, Reason = reason,
    };

    static RolloutStepStarted StepStartedEvent(RolloutState saga, string reason) => new()
    {
        RolloutId = saga.CorrelationId, ModelName = saga.Request!.ModelName, CandidateVersion = saga.Request.CandidateVersion,
        Step = saga.StepIndex, Analysis = saga.AnalysisCount, TrafficPercent = saga.CurrentStep!.TrafficPercent, Reason = reason,
    };

    static RolloutRolledBack RolledBackEvent(RolloutState saga, string reason, IReadOnlyList<RolloutMeasurement> evidence) => new()
    {
        RolloutId = saga.CorrelationId, ModelName = saga.Request!.ModelName, CandidateVersion = saga.Request.CandidateVersion,
        Step = saga.StepIndex, Analysis = saga.AnalysisCount, Reason = reason, Evidence = evidence,
    };
}
