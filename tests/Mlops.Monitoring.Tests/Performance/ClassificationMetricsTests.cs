using System.Text.Json;
using Mlops.Monitoring.Performance;

namespace Mlops.Monitoring.Tests.Performance;

/// <summary>AUROC, average precision, Brier and ECE against scikit-learn on generated scores: separable, random, tied, rare positives.</summary>
public sealed class ClassificationMetricsTests
{
    const double Tolerance = 1e-9;

    static readonly Lazy<(List<(string Name, double[] Scores, int[] Outcomes)> Cases, IReadOnlyList<JsonElement> Expected)> Reference = new(() =>
    {
        var cases = Cases().ToList();
        return (cases, ReferenceSklearn.Compute(cases.Select(c => (c.Scores, c.Outcomes)).ToList()));
    });

    static IEnumerable<(string Name, double[] Scores, int[] Outcomes)> Cases()
    {
        var random = new Random(20261203);
        double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

        // Outcomes drawn from the scores themselves (calibrated) or with a signal of the given strength.
        (double[], int[]) Scored(int n, double signal, double baseRate, Func<double, double>? round = null)
        {
            var outcomes = Enumerable.Range(0, n).Select(_ => random.NextDouble() < baseRate ? 1 : 0).ToArray();
            var scores = outcomes.Select(y => Sigmoid(Normal() + signal * (y - 0.5) + Math.Log(baseRate / (1 - baseRate)))).Select(round ?? (x => x)).ToArray();
            return (scores, outcomes);
        }

        (double[], int[]) Calibrated(int n)
        {
            var scores = Enumerable.Range(0, n).Select(_ => Sigmoid(Normal() - 1)).ToArray();
            return (scores, scores.Select(p => random.NextDouble() < p ? 1 : 0).ToArray());
        }

        var (s1, y1) = Scored(500, 2.0, 0.3);
        yield return ("good model", s1, y1);
        var (s2, y2) = Scored(400, 0, 0.5);
        yield return ("no signal", s2, y2);
        var (s3, y3) = Scored(800, 1.5, 0.2, x => Math.Round(x, 1));
        yield return ("scores rounded to tenths (ties across classes)", s3, y3);
        var (s4, y4) = Scored(2000, 2.5, 0.02);
        yield return ("rare positives", s4, y4);
        var (s5, y5) = Calibrated(1500);
        yield return ("calibrated", s5, y5);
        yield return ("perfect separation with probability 0 and 1", [0, 0.2, 0.4, 0.6, 0.9, 1, 1], [0, 0, 0, 1, 1, 1, 1]);
        yield return ("inverted", [0.9, 0.8, 0.7, 0.3, 0.2, 0.1], [0, 0, 0, 1, 1, 1]);
        yield return ("all scores equal", [0.3, 0.3, 0.3, 0.3, 0.3], [1, 0, 0, 1, 0]);
        var (s9, y9) = Scored(3, 1, 0.5);
        yield return ("three predictions", s9, y9.Sum() is 0 or 3 ? [0, 1, 0] : y9);
    }

    public static TheoryData<int> CaseIndexes() => new(Enumerable.Range(0, Cases().Count()));

    static (string Name, double[] Scores, int[] Outcomes, JsonElement Expected) Case(int index) =>
        (Reference.Value.Cases[index].Name, Reference.Value.Cases[index].Scores, Reference.Value.Cases[index].Outcomes, Reference.Value.Expected[index]);

    static void Close(double expected, double actual, string what, string name) =>
        Assert.True(Math.Abs(expected - actual) <= Tolerance, $"{what} for '{name}': scikit-learn {expected:R}, ours {actual:R}");

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void Auroc_GeneratedScores_MatchesRocAucScore(int index)
    {
        var (name, scores, outcomes, expected) = Case(index);
        Close(expected.GetProperty("auroc").GetDouble(), ClassificationMetrics.Auroc(scores, outcomes), "AUROC", name);
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void AveragePrecision_GeneratedScores_MatchesAveragePrecisionScore(int index)
    {
        var (name, scores, outcomes, expected) = Case(index);
        Close(expected.GetProperty("ap").GetDouble(), ClassificationMetrics.AveragePrecision(scores, outcomes), "AP", name);
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void Brier_GeneratedScores_MatchesBrierScoreLoss(int index)
    {
        var (name, scores, outcomes, expected) = Case(index);
        Close(expected.GetProperty("brier").GetDouble(), ClassificationMetrics.Brier(scores, outcomes), "Brier", name);
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void ExpectedCalibrationError_GeneratedScores_MatchesNumpyTenBins(int index)
    {
        var (name, scores, outcomes, expected) = Case(index);
        Close(expected.GetProperty("ece").GetDouble(), ClassificationMetrics.ExpectedCalibrationError(scores, outcomes), "ECE", name);
    }

    [Fact]
    public void Auroc_OneClassOnly_NaN()
    {
        Assert.True(double.IsNaN(ClassificationMetrics.Auroc([0.1, 0.7], [1, 1])));
        Assert.True(double.IsNaN(ClassificationMetrics.AveragePrecision([0.1, 0.7], [0, 0])));
    }

    [Fact]
    public void Median_EvenAndOddCounts_MiddleOrMeanOfMiddleTwo()
    {
        Assert.Equal(3, ClassificationMetrics.Median([5, 1, 3]));
        Assert.Equal(2.5, ClassificationMetrics.Median([4, 1, 3, 2]));
    }
}
