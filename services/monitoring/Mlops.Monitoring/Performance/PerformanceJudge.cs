namespace Mlops.Monitoring.Performance;

/// <summary>Scores a window's labelled predictions and compares the AUROC with the version's baseline.</summary>
public static class PerformanceJudge
{
    /// <summary>An outcome counts as positive from this value up (labels are 1/0).</summary>
    public const double PositiveFrom = 0.5;

    public static PerformanceScore Score(
        IReadOnlyList<PerformanceStore.Scored> window, (double Auroc, string Source)? baseline, PerformanceOptions options) =>
        Score(window, baseline, options.MinLabeled, options.AurocMargin);

    /// <summary>Scores with the model's own minimum of labelled predictions.</summary>
    public static PerformanceScore Score(
        IReadOnlyList<PerformanceStore.Scored> window, (double Auroc, string Source)? baseline, int minLabeled, double aurocMargin)
    {
        var labeled = window.Where(s => s.Outcome is not null).ToList();
        var outcomes = labeled.Select(s => s.Outcome >= PositiveFrom ? 1 : 0).ToList();
        var probabilities = labeled.Select(s => s.Probability).ToList();
        var positives = outcomes.Sum();
        var delay = labeled.Count > 0 ? ClassificationMetrics.Median(labeled.Select(s => s.DelaySeconds ?? 0).ToList()) : (double?)null;
        if (labeled.Count < minLabeled || positives == 0 || positives == labeled.Count)
        {
            return new(window.Count, labeled.Count, positives, null, null, null, null, delay, baseline?.Auroc, baseline?.Source, null);
        }

        var auroc = ClassificationMetrics.Auroc(probabilities, outcomes);
        bool? degraded = baseline is { } b ? auroc < b.Auroc - aurocMargin : null;
        return new(
            window.Count, labeled.Count, positives, auroc, ClassificationMetrics.AveragePrecision(probabilities, outcomes),
            ClassificationMetrics.Brier(probabilities, outcomes), ClassificationMetrics.ExpectedCalibrationError(probabilities, outcomes),
            delay, baseline?.Auroc, baseline?.Source, degraded);
    }
}
