using Mlops.Testing;
using System.Text.Json;
using Mlops.Training.Algorithms.Evaluation;

namespace Mlops.Training.Algorithms.Tests;

public sealed class BinaryMetricsTests
{
    private const string Script = """
        import json, sys
        import numpy as np
        from sklearn.metrics import roc_auc_score, average_precision_score, log_loss, brier_score_loss, confusion_matrix
        d = json.loads(open(sys.argv[1]).read()); y = np.array(d["y"]); p = np.array(d["p"])
        tn, fp, fn, tp = confusion_matrix(y, (p >= 0.5).astype(int)).ravel()
        b = np.minimum((p * 10).astype(int), 9); ece = 0.0
        for k in range(10):
            m = b == k
            if m.any(): ece += m.mean() * abs(p[m].mean() - y[m].mean())
        print(json.dumps({"auroc": roc_auc_score(y, p), "ap": average_precision_score(y, p), "ll": log_loss(y, p),
                          "brier": brier_score_loss(y, p), "tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn), "ece": ece}))
        """;

    [Fact]
    public void Evaluate_ScoresWithTies_MatchesScikitLearn()
    {
        var rng = new Random(5);
        var y = new float[3000];
        var p = new double[3000];
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = rng.NextDouble() < 0.3 ? 1 : 0;
            // Rounded scores create many ties, where AUROC and average precision definitions differ most.
            p[i] = Math.Round(Math.Clamp(0.3 + 0.25 * (y[i] - 0.3) + 0.2 * (rng.NextDouble() - 0.5), 0.001, 0.999), 2);
        }

        var file = Path.GetTempFileName();
        File.WriteAllText(file, JsonSerializer.Serialize(new { y, p }));
        var reference = ReferencePython.Run(Script, file);
        File.Delete(file);
        var report = BinaryMetrics.Evaluate(y, p, threshold: 0.5);

        Assert.Equal(reference.GetProperty("auroc").GetDouble(), report.Auroc, 10);
        Assert.Equal(reference.GetProperty("ap").GetDouble(), report.Auprc, 10);
        Assert.Equal(reference.GetProperty("ll").GetDouble(), report.LogLoss, 10);
        Assert.Equal(reference.GetProperty("brier").GetDouble(), report.Brier, 10);
        Assert.Equal(reference.GetProperty("ece").GetDouble(), report.ExpectedCalibrationError, 10);
        Assert.Equal(
            (reference.GetProperty("tp").GetInt32(), reference.GetProperty("fp").GetInt32(), reference.GetProperty("tn").GetInt32(), reference.GetProperty("fn").GetInt32()),
            (report.Confusion.TruePositives, report.Confusion.FalsePositives, report.Confusion.TrueNegatives, report.Confusion.FalseNegatives));
    }

    [Fact]
    public void Calibration_PerfectlyCalibratedBins_ZeroErrorAndTableCounts()
    {
        // In bin [0.2, 0.3) one of four is positive at p = 0.25; in [0.7, 0.8) three of four at 0.75.
        float[] y = [1, 0, 0, 0, 1, 1, 1, 0];
        double[] p = [0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75];

        var (ece, table) = BinaryMetrics.Calibration(y, p, 10);

        Assert.Equal(0, ece, 12);
        Assert.Equal(10, table.Count);
        Assert.Equal(4, table[2].Count);
        Assert.Equal(0.25, table[2].ObservedRate, 12);
        Assert.Equal(4, table[7].Count);
        Assert.Equal(0, table.Where((_, i) => i is not 2 and not 7).Sum(b => b.Count));
    }

    [Fact]
    public void Subgroups_EachGroup_GetsTheMetricsOfItsOwnRows()
    {
        float[] y = [1, 0, 1, 0, 1, 0, 0, 1];
        double[] p = [0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.6, 0.4];
        string[] sex = ["f", "f", "f", "f", "m", "m", "m", "m"];

        var groups = SubgroupMetrics.Evaluate(y, p, sex);

        Assert.Equal(["f", "m"], groups.Keys);
        Assert.Equal(1.0, groups["f"].Auroc, 12);
        Assert.Equal(0.0, groups["m"].Auroc, 12);
        Assert.Equal(4, groups["m"].Count);
        Assert.Equal(2, groups["m"].Confusion.FalsePositives);
    }

    private const string CurveScript = """
        import json, sys
        import numpy as np
        from sklearn.metrics import roc_curve
        from sklearn.calibration import calibration_curve
        d = json.loads(open(sys.argv[1]).read()); y = np.array(d["y"]); p = np.array(d["p"])
        fpr, tpr, thr = roc_curve(y, p, drop_intermediate=True)
        ffpr, ftpr, _ = roc_curve(y, p, drop_intermediate=False)
        prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
        print(json.dumps({"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thr": thr[1:].tolist(),
                          "full": [[a, b] for a, b in zip(ffpr.tolist(), ftpr.tolist())],
                          "true": prob_true.tolist(), "pred": prob_pred.tolist()}))
        """;

    private static (float[] Y, double[] P) Sample(int n, int seed, int? roundTo)
    {
        var rng = new Random(seed);
        var y = new float[n];
        var p = new double[n];
        for (var i = 0; i < n; i++)
        {
            y[i] = rng.NextDouble() < 0.3 ? 1 : 0;
            // The classes overlap (AUROC about 0.75), so the curve bends at many scores.
            var v = Math.Clamp(0.3 + 0.25 * (y[i] - 0.3) + 0.8 * (rng.NextDouble() - 0.5), 0.001, 0.999);
            p[i] = roundTo is { } digits ? Math.Round(v, digits) : v;
        }

        return (y, p);
    }

    private static JsonElement Reference(float[] y, double[] p)
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, JsonSerializer.Serialize(new { y, p }));
        try
        {
            return ReferencePython.Run(CurveScript, file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void RocCurve_TiedScoresUnderTheBound_IsScikitLearnsCurvePointForPoint()
    {
        // Scores rounded to 0.01: about 60 distinct values, many ties, fewer points than the bound.
        var (y, p) = Sample(3000, 11, roundTo: 2);
        var reference = Reference(y, p);

        var roc = BinaryMetrics.RocCurve(y, p);

        var fpr = reference.GetProperty("fpr").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var tpr = reference.GetProperty("tpr").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var thresholds = reference.GetProperty("thr").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.InRange(fpr.Length, 10, BinaryMetrics.MaxRocPoints);
        Assert.Equal(fpr.Length, roc.Count);
        for (var i = 0; i < roc.Count; i++)
        {
            Assert.Equal(fpr[i], roc[i].FalsePositiveRate, 12);
            Assert.Equal(tpr[i], roc[i].TruePositiveRate, 12);
        }

        Assert.Equal(double.PositiveInfinity, roc[0].Threshold);
        Assert.Equal(thresholds, roc.Skip(1).Select(r => r.Threshold).ToArray());
    }

    [Fact]
    public void RocCurve_MoreDistinctScoresThanTheBound_KeepsAtMostTheBoundOfExactPointsFromOriginToCorner()
    {
        var (y, p) = Sample(3000, 12, roundTo: null);
        var reference = Reference(y, p);
        var exact = reference.GetProperty("full").EnumerateArray()
            .Select(pt => (Math.Round(pt[0].GetDouble(), 12), Math.Round(pt[1].GetDouble(), 12))).ToHashSet();

        var roc = BinaryMetrics.RocCurve(y, p);

        Assert.True(reference.GetProperty("fpr").GetArrayLength() > BinaryMetrics.MaxRocPoints, "the sample must need thinning");
        Assert.Equal(BinaryMetrics.MaxRocPoints, roc.Count);
        Assert.Equal((0.0, 0.0), (roc[0].FalsePositiveRate, roc[0].TruePositiveRate));
        Assert.Equal((1.0, 1.0), (roc[^1].FalsePositiveRate, roc[^1].TruePositiveRate));
        Assert.All(roc, r => Assert.Contains((Math.Round(r.FalsePositiveRate, 12), Math.Round(r.TruePositiveRate, 12)), exact));
        Assert.True(roc.Zip(roc.Skip(1)).All(pair => pair.Second.FalsePositiveRate >= pair.First.FalsePositiveRate
            && pair.Second.TruePositiveRate >= pair.First.TruePositiveRate && pair.Second.Threshold < pair.First.Threshold));
    }

    [Fact]
    public void Evaluate_ReliabilityTable_MatchesScikitLearnsCalibrationCurve()
    {
        // Unrounded scores: none falls on a bin edge, where numpy's searchsorted and our floor(p·10) assign differently.
        var (y, p) = Sample(3000, 13, roundTo: null);
        var reference = Reference(y, p);

        var report = BinaryMetrics.Evaluate(y, p);

        var filled = report.Reliability.Where(b => b.Count > 0).ToArray();
        Assert.Equal(reference.GetProperty("true").EnumerateArray().Select(v => v.GetDouble()).ToArray(), filled.Select(b => b.ObservedRate).ToArray(), new Tolerance(1e-12));
        Assert.Equal(reference.GetProperty("pred").EnumerateArray().Select(v => v.GetDouble()).ToArray(), filled.Select(b => b.MeanPredicted).ToArray(), new Tolerance(1e-12));
        Assert.Equal(report.Roc, BinaryMetrics.RocCurve(y, p));
    }

    private sealed class Tolerance(double epsilon) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= epsilon;

        public int GetHashCode(double value) => 0;
    }

    [Fact]
    public void RocCurve_SingleClass_IsEmpty()
    {
        Assert.Empty(BinaryMetrics.RocCurve([1f, 1f], [0.2, 0.9]));
    }

    [Fact]
    public void Auroc_SingleClass_IsNaNNotAMisleadingNumber()
    {
        Assert.True(double.IsNaN(BinaryMetrics.Auroc([1f, 1f], [0.2, 0.9])));
    }
}
