namespace Mlops.Monitoring.Performance;

/// <summary>
/// A window's scores. The metrics are null when too few predictions are labelled or only one outcome occurred;
/// <see cref="Degraded"/> is null when there is nothing to compare (no AUROC or no baseline).
/// </summary>
public sealed record PerformanceScore(
    int Predictions, int Labeled, int Positives, double? Auroc, double? Auprc, double? Brier, double? Ece, double? MedianDelaySeconds,
    double? BaselineAuroc, string? BaselineSource, bool? Degraded)
{
    /// <summary>Share of the window's predictions with a known outcome.</summary>
    public double Coverage => Predictions == 0 ? 0 : (double)Labeled / Predictions;
}
