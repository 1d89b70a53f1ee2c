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
            return MetricReading.Missing($"{source}: no drift window of the candidate {context.CandidateVersion} judged since {context.Since?.ToString("O", CultureInfo.InvariantCulture)}{Waiting(variants, context)}");
        }

        return new MetricReading(drift.Share,
            FormattableString.Invariant($"{drift.DriftedFeatures} of {drift.EvaluatedFeatures} features drifted in window {drift.WindowId} of {newest.Variant} {newest.ModelVersion} ending {drift.WindowEnd:O} ({source})"),
            new Dictionary<string, double>());
    }

    // Why there is no window yet: the model's window size in monitoring against what the candidate has predicted, so an
    // operator sees whether to wait, lower the model's WindowSize, or approve.
    static string Waiting(IReadOnlyList<MonitoringQualitySource.VariantQuality> variants, RolloutMetricContext context)
    {
        if (variants.FirstOrDefault(v => v.Windows is not null)?.Windows is not { } windows)
        {
            return "";
        }

        var candidate = variants.Where(v => v.ModelVersion == context.CandidateVersion && v.Variant != ModelAliases.Shadow).ToList();
        var count = windows.WindowSize > 0
            ? FormattableString.Invariant($"a count window every {windows.WindowSize} predictions of a version and variant")
            : "no count windows";
        var time = windows.WindowDuration > TimeSpan.Zero ? FormattableString.Invariant($"a time window every {windows.WindowDuration:c}") : "no time windows";
        var made = candidate.Count == 0
            ? "the candidate has made none since"
            : string.Join(", ", candidate.Select(v => FormattableString.Invariant($"{v.Variant} {v.Predictions}"))) + " predictions since";
        return $"; monitoring closes {count} and {time} for {context.ModelName} (Monitoring:Drift:Models:{context.ModelName}); {made}";
    }
}
