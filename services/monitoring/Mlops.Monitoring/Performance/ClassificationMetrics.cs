namespace Mlops.Monitoring.Performance;

/// <summary>
/// Scores of probabilistic binary predictions against outcomes, defined as scikit-learn defines them (AUROC as
/// <c>roc_auc_score</c>, AUPRC as <c>average_precision_score</c>, Brier as <c>brier_score_loss</c>) and checked against
/// it to 1e-9. Outcomes are 0 or 1.
/// </summary>
public static class ClassificationMetrics
{
    /// <summary>Bins of the expected calibration error (equal width over [0, 1]).</summary>
    public const int CalibrationBins = 10;

    /// <summary>
    /// Area under the ROC curve: the trapezoids between the curve's points at each distinct score, so tied scores of a
    /// positive and a negative count half (Mann–Whitney). NaN when either class is absent (sklearn raises).
    /// </summary>
    public static double Auroc(IReadOnlyList<double> scores, IReadOnlyList<int> outcomes)
    {
        var (tps, fps) = Curve(scores, outcomes);
        var positives = tps[^1];
        var negatives = fps[^1];
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        double area = 0, previousTpr = 0, previousFpr = 0;
        for (var i = 0; i < tps.Length; i++)
        {
            var tpr = (double)tps[i] / positives;
            var fpr = (double)fps[i] / negatives;
            area += (fpr - previousFpr) * (tpr + previousTpr) / 2;
            (previousTpr, previousFpr) = (tpr, fpr);
        }

        return area;
    }

    /// <summary>
    /// Average precision: Σ (Rₙ − Rₙ₋₁)·Pₙ over the distinct scores from the highest down — a step sum, not the
    /// trapezoidal area, as sklearn. NaN without positives.
    /// </summary>
    public static double AveragePrecision(IReadOnlyList<double> scores, IReadOnlyList<int> outcomes)
    {
        var (tps, fps) = Curve(scores, outcomes);
        var positives = tps[^1];
        if (positives == 0)
        {
            return double.NaN;
        }

        double sum = 0, previousRecall = 0;
        for (var i = 0; i < tps.Length; i++)
        {
            var recall = (double)tps[i] / positives;
            var precision = (double)tps[i] / (tps[i] + fps[i]);
            sum += (recall - previousRecall) * precision;
            previousRecall = recall;
        }

        return sum;
    }

    /// <summary>Mean squared difference between probability and outcome.</summary>
    public static double Brier(IReadOnlyList<double> scores, IReadOnlyList<int> outcomes)
    {
        double sum = 0;
        for (var i = 0; i < scores.Count; i++)
        {
            var d = scores[i] - outcomes[i];
            sum += d * d;
        }

        return sum / scores.Count;
    }

    /// <summary>
    /// Expected calibration error over <see cref="CalibrationBins"/> equal-width bins ([0, 0.1), …, [0.9, 1.0], a
    /// probability of exactly 1 in the last): Σ (nᵦ / n)·|mean outcome − mean probability| over non-empty bins.
    /// </summary>
    public static double ExpectedCalibrationError(IReadOnlyList<double> scores, IReadOnlyList<int> outcomes)
    {
        var count = new int[CalibrationBins];
        var probability = new double[CalibrationBins];
        var observed = new double[CalibrationBins];
        for (var i = 0; i < scores.Count; i++)
        {
            var bin = Math.Clamp((int)Math.Floor(scores[i] * CalibrationBins), 0, CalibrationBins - 1);
            count[bin]++;
            probability[bin] += scores[i];
            observed[bin] += outcomes[i];
        }

        double ece = 0;
        for (var b = 0; b < CalibrationBins; b++)
        {
            if (count[b] > 0)
            {
                ece += (double)count[b] / scores.Count * Math.Abs(observed[b] / count[b] - probability[b] / count[b]);
            }
        }

        return ece;
    }

    /// <summary>The median (the mean of the two middle values for an even count); NaN when empty.</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    // Cumulative true and false positives at each distinct score, from the highest score down.
    static (long[] Tps, long[] Fps) Curve(IReadOnlyList<double> scores, IReadOnlyList<int> outcomes)
    {
        if (scores.Count != outcomes.Count || scores.Count == 0)
        {
            throw new ArgumentException("scores and outcomes must be non-empty and of equal length");
        }

        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        var tps = new List<long>();
        var fps = new List<long>();
        long tp = 0, fp = 0;
        for (var k = 0; k < order.Length; k++)
        {
            if (outcomes[order[k]] == 1)
            {
                tp++;
            }
            else
            {
                fp++;
            }

            if (k == order.Length - 1 || scores[order[k + 1]] != scores[order[k]])
            {
                tps.Add(tp);
                fps.Add(fp);
            }
        }

        return (tps.ToArray(), fps.ToArray());
    }
}
