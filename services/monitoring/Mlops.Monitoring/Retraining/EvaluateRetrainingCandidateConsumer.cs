using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Monitoring;

namespace Mlops.Monitoring.Retraining;

/// <summary>
/// Reads the candidate's figures and the champion's on the same held-out rows from the training run (training scores the
/// champion there when the run carries <c>CompareWithVersion</c>); the saga's promotion policy judges them.
/// </summary>
public sealed class EvaluateRetrainingCandidateConsumer(TrainingRunClient training, IOptions<RetrainingOptions> options, ILogger<EvaluateRetrainingCandidateConsumer> logger)
    : IConsumer<EvaluateRetrainingCandidate>
{
    public async Task Consume(ConsumeContext<EvaluateRetrainingCandidate> context)
    {
        var command = context.Message;
        using var activity = MonitoringTelemetry.Source.StartActivity("retraining evaluate");
        activity?.SetTag("mlops.retraining_id", command.RetrainingId);
        try
        {
            var run = await DependencyRetry.WhileRecoveringAsync(RetrainingStateMachine.StepEvaluate,
                () => training.GetAsync(command.RunId.ToString(), context.CancellationToken), options.Value.DependencyRetryLimit, logger, context.CancellationToken);
            await context.Publish(Evaluate(command, run.Metrics));
        }
        catch (RetrainingStepException e)
        {
            await context.Publish(new RetrainingStepFailed { RetrainingId = command.RetrainingId, Step = RetrainingStateMachine.StepEvaluate, Reason = e.Message });
        }
    }

    /// <summary>The figures as the run recorded them; a missing champion figure is a failed comparison, named.</summary>
    internal static RetrainingCandidateEvaluated Evaluate(EvaluateRetrainingCandidate command, IReadOnlyDictionary<string, double> metrics)
    {
        double Need(string name) => metrics.TryGetValue(name, out var v) ? v : throw new RetrainingStepException($"training run {command.RunId} records no {name}");
        var candidate = new ModelFigures { Auroc = Need("auroc"), LogLoss = Need("log_loss"), Brier = Need("brier") };
        var rows = metrics.TryGetValue(TrainingComparisonMetrics.Rows, out var r) ? (int)r : 0;
        if (metrics.TryGetValue(TrainingComparisonMetrics.Auroc, out var auroc) && metrics.TryGetValue(TrainingComparisonMetrics.LogLoss, out var logLoss)
            && metrics.TryGetValue(TrainingComparisonMetrics.Brier, out var brier))
        {
            return new RetrainingCandidateEvaluated
            {
                RetrainingId = command.RetrainingId, Candidate = candidate, Champion = new ModelFigures { Auroc = auroc, LogLoss = logLoss, Brier = brier }, Rows = rows,
            };
        }

        var problem = metrics.ContainsKey(TrainingComparisonMetrics.Failed)
            ? $"training could not score champion {command.ChampionVersion} on the run's held-out rows (see the run's comparison artifact)"
            : $"training run {command.RunId} recorded no figures for champion {command.ChampionVersion}";
        return new RetrainingCandidateEvaluated { RetrainingId = command.RetrainingId, Candidate = candidate, Champion = null, ChampionProblem = problem, Rows = rows };
    }
}

/// <summary>The metric names training records for the compared version (see training's pipeline).</summary>
internal static class TrainingComparisonMetrics
{
    public const string Auroc = "compared_auroc";
    public const string LogLoss = "compared_log_loss";
    public const string Brier = "compared_brier";
    public const string Rows = "compared_rows";
    public const string Failed = "compared_failed";
}
