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

    [Fact]
    public void Auroc_SingleClass_IsNaNNotAMisleadingNumber()
    {
        Assert.True(double.IsNaN(BinaryMetrics.Auroc([1f, 1f], [0.2, 0.9])));
    }
}
