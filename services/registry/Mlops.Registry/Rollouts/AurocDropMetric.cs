using System.Globalization;
using Mlops.Contracts.Registry;

namespace Mlops.Registry.Rollouts;

/// <summary>
/// How much AUROC the candidate loses against the champion on their own labelled predictions since the rollout
/// started (monitoring's delayed-label join; each side scored the entities its variant was given, so the comparison
/// holds as long as the split is by a hash of the entity). Inconclusive until each side has enough labels with both
/// outcomes among them — a canary is not promoted on quality it has not shown.
/// </summary>
public sealed class AurocDropMetric(MonitoringQualitySource monitoring) : IRolloutMetric
{
    public string Name => "auroc-drop";

    public double? ThresholdOf(RolloutThresholds thresholds) => thresholds.MaxAurocDrop;

    public async Task<MetricReading> MeasureAsync(RolloutMetricContext context, CancellationToken cancellationToken)
    {
        var (variants, source) = await monitoring.ReadAsync(context.ModelName, context.Since, cancellationToken);
        if (variants is null)
        {
            return MetricReading.Missing(source);
        }

        var candidate = variants.Where(v => v.ModelVersion == context.CandidateVersion && v.Variant != ModelAliases.Champion && v.Variant != ModelAliases.Shadow)
            .MaxBy(v => v.Labeled);
        var champion = variants.Where(v => v.Variant == ModelAliases.Champion && v.ModelVersion != context.CandidateVersion).MaxBy(v => v.Labeled);
        if (candidate is null || champion is null)
        {
            return MetricReading.Missing($"{source}: no labelled predictions of {(candidate is null ? $"the candidate {context.CandidateVersion}" : "the champion")} since {Since(context)}");
        }

        foreach (var side in new[] { candidate, champion })
        {
            if (side.Labeled < context.MinLabels || side.Auroc is null)
            {
                return MetricReading.Missing($"{source}: {Describe(side)} since {Since(context)} — fewer than {context.MinLabels} labelled, or only one outcome among them");
            }
        }

        var drop = champion.Auroc!.Value - candidate.Auroc!.Value;
        return new MetricReading(drop,
            FormattableString.Invariant($"champion AUROC {champion.Auroc:0.0000} − candidate AUROC {candidate.Auroc:0.0000} = {drop:0.0000}; {Describe(candidate)}; {Describe(champion)}; since {Since(context)} ({source})"),
            new Dictionary<string, double>());
    }

    static string Describe(MonitoringQualitySource.VariantQuality v) =>
        FormattableString.Invariant($"{v.Variant} {v.ModelVersion}: {v.Labeled} labelled, {v.Positives} positive, AUROC {(v.Auroc is { } a ? a.ToString("0.0000", CultureInfo.InvariantCulture) : "none")}");

    static string Since(RolloutMetricContext context) => context.Since?.ToString("O", CultureInfo.InvariantCulture) ?? "?";
}
