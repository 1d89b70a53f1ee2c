using System.Globalization;
using Mlops.Contracts.Registry;

namespace Mlops.Registry.Rollouts;

/// <summary>
/// Share of features drifted in the candidate's newest drift window judged since the rollout started (monitoring's
/// per-version, per-variant drift against the version's training profile). Inconclusive until such a window exists.
/// </summary>
public sealed class DriftShareMetric(MonitoringQualitySource monitoring) : IRolloutMetric
{
    public string Name => "drift-share";

    public double? ThresholdOf(RolloutThresholds thresholds) => thresholds.MaxDriftShare;

    public async Task<MetricReading> MeasureAsync(RolloutMetricContext context, CancellationToken cancellationToken)
    {
        var (variants, source) = await monitoring.ReadAsync(context.ModelName, context.Since, cancellationToken);
        if (variants is null)
        {
            return MetricReading.Missing(source);
        }

        var newest = variants.Where(v => v.ModelVersion == context.CandidateVersion && v.Variant != ModelAliases.Shadow && v.Drift is not null)
            .MaxBy(v => v.Drift!.WindowEnd);
        if (newest?.Drift is not { } drift)
        {
            return MetricReading.Missing($"{source}: no drift window of the candidate {context.CandidateVersion} judged since {context.Since?.ToString("O", CultureInfo.InvariantCulture)}");
        }

        return new MetricReading(drift.Share,
            FormattableString.Invariant($"{drift.DriftedFeatures} of {drift.EvaluatedFeatures} features drifted in window {drift.WindowId} of {newest.Variant} {newest.ModelVersion} ending {drift.WindowEnd:O} ({source})"),
            new Dictionary<string, double>());
    }
}
