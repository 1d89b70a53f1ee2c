using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Monitoring;
using Mlops.Contracts.Registry;
using Mlops.Contracts.Training;

namespace Mlops.Monitoring.Retraining;

/// <summary>
/// A retraining: Preparing (champion, its recipe, a data snapshot) → Training (a run that also scores the champion on its
/// held-out rows) → Evaluating (both models' figures; the promotion policy) → RollingOut (the registry's canary rollout) →
/// Promoted, or Rejected (worse candidate), Failed (a step could not be done, or its deadline passed) or RolledBack.
/// Transitions only record state and send commands; the HTTP work is done by the step consumers, which retry while a
/// service does not answer. Each state's deadline is persisted and signalled by <see cref="RetrainingSweeper"/>.
/// </summary>
public sealed class RetrainingStateMachine : MassTransitStateMachine<RetrainingState>
{
    public const string Actor = "retraining";

    readonly TimeProvider _time;
    readonly RetrainingOptions _options;

    public RetrainingStateMachine(TimeProvider time, IOptions<RetrainingOptions> options)
    {
        _time = time;
        _options = options.Value;
        InstanceState(x => x.CurrentState);
        Event(() => Accepted, e => e.CorrelateById(m => m.Message.RetrainingId));
        Event(() => Prepared, e => { e.CorrelateById(m => m.Message.RetrainingId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => StepFailed, e => { e.CorrelateById(m => m.Message.RetrainingId); e.OnMissingInstance(m => m.Discard()); });
        // The training run carries the retraining's id; runs started by anyone else find no instance.
        Event(() => TrainingCompleted, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => TrainingFailed, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => TrainingCancelled, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => Evaluated, e => { e.CorrelateById(m => m.Message.RetrainingId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => RolloutStarted, e => { e.CorrelateById(m => m.Message.RetrainingId); e.OnMissingInstance(m => m.Discard()); });
        // Rollouts a person started are not ours: no instance holds their id.
        Event(() => RolloutPromoted, e => { e.CorrelateBy(s => s.RolloutId, m => m.Message.RolloutId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => RolloutRolledBack, e => { e.CorrelateBy(s => s.RolloutId, m => m.Message.RolloutId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => RolloutAborted, e => { e.CorrelateBy(s => s.RolloutId, m => m.Message.RolloutId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => RolloutPaused, e => { e.CorrelateBy(s => s.RolloutId, m => m.Message.RolloutId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => TimedOut, e => { e.CorrelateById(m => m.Message.RetrainingId); e.OnMissingInstance(m => m.Discard()); });

        Initially(
            When(Accepted)
                .Then(c =>
                {
                    c.Saga.Request = c.Message.Request;
                    c.Saga.StartedAt = _time.GetUtcNow();
                    Begin(c.Saga, StepPrepare, _options.PrepareTimeout);
                    var step = c.Saga.Steps[^1];
                    step.Evidence["trigger"] = c.Message.Request.Trigger;
                    step.Evidence["reason"] = c.Message.Request.Reason;
                    step.Evidence["requestedBy"] = c.Message.Request.RequestedBy;
                })
                .Send(CommandQueues.AddressOf<PrepareRetraining>(), c => new PrepareRetraining { RetrainingId = c.Saga.CorrelationId, ModelName = c.Saga.Request!.ModelName })
                .TransitionTo(Preparing));

        During(Preparing,
            When(Prepared)
                .Then(c =>
                {
                    c.Saga.Plan = c.Message;
                    End(c.Saga, "done", new()
                    {
                        ["championVersion"] = c.Message.ChampionVersion, ["championRunId"] = c.Message.ChampionRunId,
                        ["datasetVersion"] = c.Message.DatasetVersion, ["featureSetVersion"] = c.Message.FeatureSetVersion,
                        ["algorithm"] = c.Message.Algorithm, ["labelName"] = c.Message.LabelName,
                        ["features"] = c.Message.Features.Count == 0 ? "all" : string.Join(",", c.Message.Features),
                        ["labelsFrom"] = c.Message.LabelsFrom?.ToString("O", CultureInfo.InvariantCulture) ?? "all",
                    });
                    Begin(c.Saga, StepTrain, _options.TrainingTimeout);
                    c.Saga.Steps[^1].Evidence["runId"] = c.Saga.CorrelationId.ToString();
                })
                .Send(CommandQueues.AddressOf<StartTrainingRun>(), c => TrainingCommand(c.Saga))
                .TransitionTo(Training));

        During(Training,
            When(TrainingCompleted)
                .Then(c =>
                {
                    c.Saga.CandidateVersion = c.Message.ModelVersion;
                    End(c.Saga, "done", new() { ["candidateVersion"] = c.Message.ModelVersion, ["artifactSha256"] = c.Message.ArtifactSha256 });
                    Begin(c.Saga, StepEvaluate, _options.EvaluationTimeout);
                })
                .Send(CommandQueues.AddressOf<EvaluateRetrainingCandidate>(), c => new EvaluateRetrainingCandidate
                {
                    RetrainingId = c.Saga.CorrelationId, RunId = c.Saga.CorrelationId, ChampionVersion = c.Saga.Plan!.ChampionVersion,
                })
                .TransitionTo(Evaluating),
            Fail(When(TrainingFailed), c => $"training run failed at {c.Message.Step}: {c.Message.Reason}"),
            Fail(When(TrainingCancelled), c => $"training run cancelled by {c.Message.CancelledBy} at {c.Message.Step}"));

        // The first activity records the figures and decides; exactly one of the two after it acts on the decision.
        During(Evaluating,
            When(Evaluated).Then(c => Judge(c.Saga, c.Message)),
            When(Evaluated, c => c.Saga.Comparison is { Promote: true })
                .Then(c =>
                {
                    End(c.Saga, "done", Figures(c.Saga.Comparison!));
                    Begin(c.Saga, StepRollout, _options.RolloutTimeout);
                })
                .Send(CommandQueues.AddressOf<StartRetrainingRollout>(), c => new StartRetrainingRollout
                {
                    RetrainingId = c.Saga.CorrelationId, ModelName = c.Saga.Request!.ModelName, CandidateVersion = c.Saga.CandidateVersion!,
                })
                .TransitionTo(RollingOut),
            When(Evaluated, c => c.Saga.Comparison is { Promote: false })
                .Then(c =>
                {
                    End(c.Saga, "rejected", Figures(c.Saga.Comparison!));
                    Finish(c.Saga, RetrainingOutcomes.Rejected, "the candidate did not pass the promotion policy: " + string.Join("; ", c.Saga.Comparison!.Reasons));
                })
                .Publish(c => CompletedEvent(c.Saga))
                .TransitionTo(Rejected));

        During(RollingOut,
            When(RolloutStarted).Then(c =>
            {
                c.Saga.RolloutId = c.Message.RolloutId;
                c.Saga.Steps[^1].Evidence["rolloutId"] = c.Message.RolloutId.ToString();
            }),
            When(RolloutPaused).Then(c => c.Saga.Steps[^1].Evidence["paused"] = $"step {c.Message.Step + 1}: {c.Message.Reason}"),
            Complete(When(RolloutPromoted), RetrainingOutcomes.Promoted, "promoted", c => $"{c.Message.CandidateVersion} is champion after its canary rollout ({c.Message.Reason})"),
            Complete(When(RolloutRolledBack), RetrainingOutcomes.RolledBack, "rolled-back", c => "the canary rollout rolled the candidate back: " + c.Message.Reason),
            Complete(When(RolloutAborted), RetrainingOutcomes.RolledBack, "rolled-back", c => $"the canary rollout was aborted by {c.Message.AbortedBy}: {c.Message.Reason}"),
            // The rollout outlived its deadline: its traffic is taken away, so nothing unjudged keeps serving.
            When(TimedOut, c => c.Message.State == nameof(RollingOut) && c.Saga.RolloutId is not null)
                .Publish(c => new AbortRollout { RolloutId = c.Saga.RolloutId!.Value, RequestedBy = Actor, Reason = $"retraining {c.Saga.CorrelationId}: the rollout exceeded {_options.RolloutTimeout}" }));

        During(Preparing, Training, Evaluating, RollingOut,
            Ignore(Accepted),
            Fail(When(StepFailed), c => $"{c.Message.Step} failed: {c.Message.Reason}"),
            Fail(When(TimedOut, c => c.Message.State == c.Saga.CurrentState), c => $"{c.Saga.Steps[^1].Step} did not finish within its deadline ({c.Saga.DeadlineAt:O})"));

        // Late or redelivered messages after the outcome change nothing.
        During(Promoted, Rejected, Failed, RolledBack,
            Ignore(Accepted), Ignore(Prepared), Ignore(StepFailed), Ignore(TrainingCompleted), Ignore(TrainingFailed), Ignore(TrainingCancelled),
            Ignore(Evaluated), Ignore(RolloutStarted), Ignore(RolloutPromoted), Ignore(RolloutRolledBack), Ignore(RolloutAborted), Ignore(RolloutPaused),
            Ignore(TimedOut));
    }

    public const string StepPrepare = "prepare";
    public const string StepTrain = "train";
    public const string StepEvaluate = "evaluate";
    public const string StepRollout = "rollout";

    public State Preparing { get; private set; } = null!;
    public State Training { get; private set; } = null!;
    public State Evaluating { get; private set; } = null!;
    public State RollingOut { get; private set; } = null!;
    public State Promoted { get; private set; } = null!;
    public State Rejected { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State RolledBack { get; private set; } = null!;

    public Event<RetrainingAccepted> Accepted { get; private set; } = null!;
    public Event<RetrainingPrepared> Prepared { get; private set; } = null!;
    public Event<RetrainingStepFailed> StepFailed { get; private set; } = null!;
    public Event<TrainingRunCompleted> TrainingCompleted { get; private set; } = null!;
    public Event<TrainingRunFailed> TrainingFailed { get; private set; } = null!;
    public Event<TrainingRunCancelled> TrainingCancelled { get; private set; } = null!;
    public Event<RetrainingCandidateEvaluated> Evaluated { get; private set; } = null!;
    public Event<RetrainingRolloutStarted> RolloutStarted { get; private set; } = null!;
    public Event<RolloutPromoted> RolloutPromoted { get; private set; } = null!;
    public Event<RolloutRolledBack> RolloutRolledBack { get; private set; } = null!;
    public Event<RolloutAborted> RolloutAborted { get; private set; } = null!;
    public Event<RolloutPaused> RolloutPaused { get; private set; } = null!;
    public Event<RetrainingTimedOut> TimedOut { get; private set; } = null!;

    /// <summary>States of a retraining under way (each has a deadline).</summary>
    public static readonly IReadOnlyList<string> ActiveStates = [nameof(Preparing), nameof(Training), nameof(Evaluating), nameof(RollingOut)];

    /// <summary>Every state, for listings.</summary>
    public static readonly IReadOnlyList<string> AllStates = [.. ActiveStates, nameof(Promoted), nameof(Rejected), nameof(Failed), nameof(RolledBack)];

    EventActivityBinder<RetrainingState, T> Fail<T>(EventActivityBinder<RetrainingState, T> binder, Func<BehaviorContext<RetrainingState, T>, string> reason)
        where T : class =>
        binder
            .Then(c =>
            {
                var why = reason(c);
                End(c.Saga, c.Message is RetrainingTimedOut ? "timed-out" : "failed", new() { ["reason"] = why });
                Finish(c.Saga, RetrainingOutcomes.Failed, why);
            })
            .Publish(c => CompletedEvent(c.Saga))
            .TransitionTo(Failed);

    EventActivityBinder<RetrainingState, T> Complete<T>(EventActivityBinder<RetrainingState, T> binder, string outcome, string stepOutcome, Func<BehaviorContext<RetrainingState, T>, string> reason)
        where T : class, IRolloutEvent =>
        binder
            .Then(c =>
            {
                var why = reason(c);
                End(c.Saga, stepOutcome, new() { ["reason"] = why });
                Finish(c.Saga, outcome, why);
            })
            .Publish(c => CompletedEvent(c.Saga))
            .TransitionTo(outcome == RetrainingOutcomes.Promoted ? Promoted : RolledBack);

    void Judge(RetrainingState saga, RetrainingCandidateEvaluated evaluated)
    {
        var (promote, reasons) = RetrainingPolicy.Decide(evaluated.Candidate, evaluated.Champion, evaluated.ChampionProblem,
            _options.MinAurocGain, _options.LogLossTolerance, _options.BrierTolerance);
        saga.Comparison = new RetrainingComparison
        {
            Candidate = evaluated.Candidate, Champion = evaluated.Champion, ChampionProblem = evaluated.ChampionProblem, Rows = evaluated.Rows,
            Promote = promote, Reasons = reasons,
        };
    }

    void Begin(RetrainingState saga, string step, TimeSpan timeout)
    {
        var now = _time.GetUtcNow();
        saga.DeadlineAt = now + timeout;
        saga.Steps.Add(new RetrainingStepRecord { Step = step, StartedAt = now });
    }

    void End(RetrainingState saga, string outcome, Dictionary<string, string> evidence)
    {
        if (saga.Steps.Count > 0 && saga.Steps[^1] is { FinishedAt: null } step)
        {
            step.Outcome = outcome;
            step.FinishedAt = _time.GetUtcNow();
            foreach (var (key, value) in evidence)
            {
                step.Evidence[key] = value;
            }
        }
    }

    void Finish(RetrainingState saga, string outcome, string reason)
    {
        saga.Outcome = outcome;
        saga.Reason = reason;
        saga.DeadlineAt = null;
        saga.FinishedAt = _time.GetUtcNow();
        MonitoringTelemetry.RetrainingsFinished.Add(1, new KeyValuePair<string, object?>("outcome", outcome),
            new KeyValuePair<string, object?>("trigger", saga.Request?.Trigger));
    }

    static Dictionary<string, string> Figures(RetrainingComparison comparison)
    {
        var figures = new Dictionary<string, string>
        {
            ["rows"] = comparison.Rows.ToString(CultureInfo.InvariantCulture),
            ["candidateAuroc"] = F(comparison.Candidate.Auroc), ["candidateLogLoss"] = F(comparison.Candidate.LogLoss), ["candidateBrier"] = F(comparison.Candidate.Brier),
            ["policy"] = string.Join("; ", comparison.Reasons),
        };
        if (comparison.Champion is { } champion)
        {
            figures["championAuroc"] = F(champion.Auroc);
            figures["championLogLoss"] = F(champion.LogLoss);
            figures["championBrier"] = F(champion.Brier);
        }

        if (comparison.ChampionProblem is { } problem)
        {
            figures["championProblem"] = problem;
        }

        return figures;
    }

    static string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    static StartTrainingRun TrainingCommand(RetrainingState saga) => new()
    {
        RunId = saga.CorrelationId, ModelName = saga.Request!.ModelName, FeatureSetVersion = saga.Plan!.FeatureSetVersion, DatasetVersion = saga.Plan.DatasetVersion,
        LabelName = saga.Plan.LabelName, Algorithm = saga.Plan.Algorithm, Hyperparameters = saga.Plan.Hyperparameters, Features = saga.Plan.Features,
        Seed = saga.Plan.Seed, RequestedBy = Actor, CompareWithVersion = saga.Plan.ChampionVersion, LabelsFrom = saga.Plan.LabelsFrom,
    };

    static RetrainingCompleted CompletedEvent(RetrainingState saga) => new()
    {
        RetrainingId = saga.CorrelationId, ModelName = saga.Request!.ModelName, Trigger = saga.Request.Trigger, Outcome = saga.Outcome!, Reason = saga.Reason!,
        ChampionVersion = saga.Plan?.ChampionVersion, CandidateVersion = saga.CandidateVersion, Comparison = saga.Comparison, RolloutId = saga.RolloutId,
        StartedAt = saga.StartedAt, FinishedAt = saga.FinishedAt!.Value,
    };
}
