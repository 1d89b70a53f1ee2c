using MassTransit;
using Mlops.Contracts.Registry;

namespace Mlops.Registry.Rollouts;

/// <summary>
/// Takes one analysis: every metric the rollout sets a limit for, judged against it (a value that cannot be measured
/// is inconclusive, never a pass), and publishes the result with its evidence for the saga and the model's history.
/// </summary>
public sealed class AnalyseRolloutStepConsumer(IEnumerable<IRolloutMetric> metrics, TimeProvider time, ILogger<AnalyseRolloutStepConsumer> logger) : IConsumer<AnalyseRolloutStep>
{
    public async Task Consume(ConsumeContext<AnalyseRolloutStep> context)
    {
        var command = context.Message;
        using var activity = RolloutTelemetry.Source.StartActivity("rollout analyse");
        activity?.SetTag("mlops.model", command.ModelName);
        activity?.SetTag("mlops.rollout", command.RolloutId);
        var measurements = new List<RolloutMeasurement>();
        var snapshot = new Dictionary<string, double>();
        var request = new RolloutMetricContext(command.ModelName, command.CandidateVersion, command.Baseline, command.Thresholds.MinRequests)
        {
            Since = command.RolloutStartedAt, MinLabels = command.Thresholds.MinLabels,
        };
        foreach (var metric in metrics)
        {
            if (metric.ThresholdOf(command.Thresholds) is not { } threshold)
            {
                continue;
            }

            var reading = await metric.MeasureAsync(request, context.CancellationToken);
            foreach (var (key, value) in reading.Snapshot)
            {
                snapshot[key] = value;
            }

            measurements.Add(new RolloutMeasurement
            {
                Metric = metric.Name, Value = reading.Value, Threshold = threshold, Verdict = RolloutDecisions.Judge(reading.Value, threshold), Evidence = reading.Evidence,
            });
        }

        var verdict = RolloutDecisions.VerdictOf(measurements);
        activity?.SetTag("mlops.rollout.verdict", verdict);
        logger.LogInformation("Rollout {RolloutId} of {Model} {Version}, step {Step} analysis {Analysis}: {Verdict} ({Measurements})",
            command.RolloutId, command.ModelName, command.CandidateVersion, command.Step, command.Analysis, verdict,
            string.Join("; ", measurements.Select(m => $"{m.Metric}={m.Value?.ToString("G4") ?? "missing"} ≤ {m.Threshold}: {m.Verdict}")));
        await context.Publish(new RolloutStepAnalysed
        {
            RolloutId = command.RolloutId, ModelName = command.ModelName, CandidateVersion = command.CandidateVersion, Step = command.Step,
            Analysis = command.Analysis, TrafficPercent = command.TrafficPercent, Verdict = verdict, Measurements = measurements, Snapshot = snapshot,
            MeasuredAt = time.GetUtcNow(),
        });
    }
}
