namespace Mlops.Training.Algorithms.Evaluation;

/// <summary>Counts at one decision threshold (predicted positive when p ≥ threshold).</summary>
public sealed record ConfusionMatrix(double Threshold, int TruePositives, int FalsePositives, int TrueNegatives, int FalseNegatives)
{
    public double Sensitivity => Ratio(TruePositives, TruePositives + FalseNegatives);

    public double Specificity => Ratio(TrueNegatives, TrueNegatives + FalsePositives);

    public double Precision => Ratio(TruePositives, TruePositives + FalsePositives);

    private static double Ratio(int a, int b) => b == 0 ? double.NaN : (double)a / b;
}

/// <summary>One row of the reliability table: predictions in [Lower, Upper) and how often they came true.</summary>
public sealed record ReliabilityBin(double Lower, double Upper, int Count, double MeanPredicted, double ObservedRate);

/// <summary>One point of the ROC curve: the rates when predicting positive at p ≥ <see cref="Threshold"/> (+∞ for the origin).</summary>
public sealed record RocPoint(double FalsePositiveRate, double TruePositiveRate, double Threshold);

/// <summary>The standard binary-classification report.</summary>
public sealed record EvaluationReport
{
    public required int Count { get; init; }

    public required int Positives { get; init; }

    public required double Auroc { get; init; }

    public required double Auprc { get; init; }

    public required double LogLoss { get; init; }

    public required double Brier { get; init; }

    public required double ExpectedCalibrationError { get; init; }

    public required IReadOnlyList<ReliabilityBin> Reliability { get; init; }

    public required ConfusionMatrix Confusion { get; init; }

    /// <summary>
    /// The ROC curve, at most <see cref="BinaryMetrics.MaxRocPoints"/> points of the exact curve (empty in reports
    /// stored before it was recorded, and when only one class is present).
    /// </summary>
    public IReadOnlyList<RocPoint> Roc { get; init; } = [];
}

/// <summary>Metric definitions as scikit-learn computes them (ties, average precision, clipping), so numbers compare.</summary>
public static class BinaryMetrics
{
    public static EvaluationReport Evaluate(IReadOnlyList<float> labels, IReadOnlyList<double> probabilities, double threshold = 0.5, int calibrationBins = 10)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(probabilities);
        if (labels.Count != probabilities.Count || labels.Count == 0)
        {
            throw new ArgumentException("labels and probabilities must be non-empty and of equal length.");
        }

        var (ece, table) = Calibration(labels, probabilities, calibrationBins);
        return new EvaluationReport
        {
            Count = labels.Count,
            Positives = labels.Count(y => y > 0.5f),
            Auroc = Auroc(labels, probabilities),
            Auprc = AveragePrecision(labels, probabilities),
            LogLoss = LogLoss(labels, probabilities),
            Brier = Brier(labels, probabilities),
            ExpectedCalibrationError = ece,
            Reliability = table,
            Confusion = Confusion(labels, probabilities, threshold),
            Roc = RocCurve(labels, probabilities),
        };
    }

    /// <summary>Most points a stored ROC curve keeps: enough to draw it, few enough to send with every run (about 10 kB).</summary>
    public const int MaxRocPoints = 200;

    /// <summary>
    /// The ROC curve as scikit-learn's <c>roc_curve(drop_intermediate=True)</c>: one point per distinct score (ties move
    /// both rates at once), points on a straight segment between their neighbours dropped, the origin first at threshold
    /// +∞. A curve still longer than <paramref name="maxPoints"/> keeps evenly spaced points of it and both ends, so every
    /// stored point is exact; only the segments between them are straightened. Empty when only one class is present.
    /// </summary>
    public static IReadOnlyList<RocPoint> RocCurve(IReadOnlyList<float> labels, IReadOnlyList<double> scores, int maxPoints = MaxRocPoints)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPoints, 2);
        var positives = labels.Count(y => y > 0.5f);
        var negatives = labels.Count - positives;
        if (positives == 0 || negatives == 0)
        {
            return [];
        }

        var order = SortDescending(scores);
        var fps = new List<double>();
        var tps = new List<double>();
        var thresholds = new List<double>();
        double tp = 0, fp = 0;
        var i = 0;
        while (i < order.Length)
        {
            var s = scores[order[i]];
            while (i < order.Length && scores[order[i]] == s)
            {
                if (labels[order[i]] > 0.5f) tp++; else fp++;
                i++;
            }

            fps.Add(fp);
            tps.Add(tp);
            thresholds.Add(s);
        }

        // scikit-learn keeps the ends and every point where the curve bends (a non-zero second difference).
        var kept = new List<int>();
        for (var k = 0; k < fps.Count; k++)
        {
            if (k == 0 || k == fps.Count - 1
                || fps[k + 1] - 2 * fps[k] + fps[k - 1] != 0 || tps[k + 1] - 2 * tps[k] + tps[k - 1] != 0)
            {
                kept.Add(k);
            }
        }

        var curve = new List<RocPoint>(kept.Count + 1) { new(0, 0, double.PositiveInfinity) };
        curve.AddRange(kept.Select(k => new RocPoint(fps[k] / negatives, tps[k] / positives, thresholds[k])));
        if (curve.Count <= maxPoints)
        {
            return curve;
        }

        var step = (curve.Count - 1) / (double)(maxPoints - 1);
        return Enumerable.Range(0, maxPoints).Select(j => curve[(int)Math.Round(j * step)]).ToList();
    }

    /// <summary>Area under the ROC curve (tied scores count one half); NaN when only one class is present.</summary>
    public static double Auroc(IReadOnlyList<float> labels, IReadOnlyList<double> scores)
    {
        var order = SortDescending(scores);
        double tp = 0, fp = 0, area = 0;
        var positives = labels.Count(y => y > 0.5f);
        var negatives = labels.Count - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        var i = 0;
        while (i < order.Length)
        {
            double tpBefore = tp, fpBefore = fp;
            var s = scores[order[i]];
            while (i < order.Length && scores[order[i]] == s)
            {
                if (labels[order[i]] > 0.5f) tp++; else fp++;
                i++;
            }

            area += (fp - fpBefore) * (tp + tpBefore) / 2;
        }

        return area / ((double)positives * negatives);
    }

    /// <summary>Average precision: Σ (R_k − R_{k−1})·P_k over distinct thresholds, as scikit-learn's average_precision_score.</summary>
    public static double AveragePrecision(IReadOnlyList<float> labels, IReadOnlyList<double> scores)
    {
        var order = SortDescending(scores);
        var positives = labels.Count(y => y > 0.5f);
        if (positives == 0)
        {
            return double.NaN;
        }

        double tp = 0, fp = 0, ap = 0, recallBefore = 0;
        var i = 0;
        while (i < order.Length)
        {
            var s = scores[order[i]];
            while (i < order.Length && scores[order[i]] == s)
            {
                if (labels[order[i]] > 0.5f) tp++; else fp++;
                i++;
            }

            var recall = tp / positives;
            ap += (recall - recallBefore) * (tp / (tp + fp));
            recallBefore = recall;
        }

        return ap;
    }

    public static double LogLoss(IReadOnlyList<float> labels, IReadOnlyList<double> probabilities)
    {
        const double eps = 1e-15;
        double sum = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            var p = Math.Clamp(probabilities[i], eps, 1 - eps);
            sum -= labels[i] > 0.5f ? Math.Log(p) : Math.Log(1 - p);
        }

        return sum / labels.Count;
    }

    public static double Brier(IReadOnlyList<float> labels, IReadOnlyList<double> probabilities)
    {
        double sum = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            var d = probabilities[i] - labels[i];
            sum += d * d;
        }

        return sum / labels.Count;
    }

    public static ConfusionMatrix Confusion(IReadOnlyList<float> labels, IReadOnlyList<double> probabilities, double threshold)
    {
        int tp = 0, fp = 0, tn = 0, fn = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            var predicted = probabilities[i] >= threshold;
            var actual = labels[i] > 0.5f;
            if (predicted && actual) tp++;
            else if (predicted) fp++;
            else if (actual) fn++;
            else tn++;
        }

        return new ConfusionMatrix(threshold, tp, fp, tn, fn);
    }

    /// <summary>Expected calibration error over equal-width bins, with the reliability table it is computed from.</summary>
    public static (double Ece, IReadOnlyList<ReliabilityBin> Table) Calibration(IReadOnlyList<float> labels, IReadOnlyList<double> probabilities, int bins = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var count = new int[bins];
        var sumP = new double[bins];
        var sumY = new double[bins];
        for (var i = 0; i < labels.Count; i++)
        {
            var b = Math.Min(bins - 1, (int)(probabilities[i] * bins));
            b = Math.Max(0, b);
            count[b]++;
            sumP[b] += probabilities[i];
            sumY[b] += labels[i];
        }

        var table = new List<ReliabilityBin>(bins);
        double ece = 0;
        for (var b = 0; b < bins; b++)
        {
            var meanP = count[b] == 0 ? double.NaN : sumP[b] / count[b];
            var rate = count[b] == 0 ? double.NaN : sumY[b] / count[b];
            table.Add(new ReliabilityBin((double)b / bins, (double)(b + 1) / bins, count[b], meanP, rate));
            if (count[b] > 0)
            {
                ece += (double)count[b] / labels.Count * Math.Abs(meanP - rate);
            }
        }

        return (ece, table);
    }

    private static int[] SortDescending(IReadOnlyList<double> scores)
    {
        var order = Enumerable.Range(0, scores.Count).ToArray();
        var keys = scores.Select(s => -s).ToArray();
        Array.Sort(keys, order);
        return order;
    }
}

/// <summary>The same report per subgroup (fairness view), one entry per distinct group value in ordinal order.</summary>
public static class SubgroupMetrics
{
    public static IReadOnlyDictionary<string, EvaluationReport> Evaluate(
        IReadOnlyList<float> labels, IReadOnlyList<double> probabilities, IReadOnlyList<string> groups, double threshold = 0.5, int calibrationBins = 10)
    {
        if (groups.Count != labels.Count)
        {
            throw new ArgumentException("groups must have one value per row.", nameof(groups));
        }

        var result = new SortedDictionary<string, EvaluationReport>(StringComparer.Ordinal);
        foreach (var group in groups.Distinct().Order(StringComparer.Ordinal))
        {
            var idx = Enumerable.Range(0, groups.Count).Where(i => groups[i] == group).ToArray();
            result[group] = BinaryMetrics.Evaluate(
                idx.Select(i => labels[i]).ToArray(), idx.Select(i => probabilities[i]).ToArray(), threshold, calibrationBins);
        }

        return result;
    }
}
