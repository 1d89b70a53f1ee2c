using Mlops.Monitoring.Drift;

namespace Mlops.Monitoring.Tests.Drift;

public sealed class DriftMethodSelectorTests
{
    [Theory]
    [InlineData(1000, 6, DriftMethod.KolmogorovSmirnov)]
    [InlineData(1000, 5, DriftMethod.ChiSquare)]
    [InlineData(1000, 3, DriftMethod.ChiSquare)]
    [InlineData(1000, 2, DriftMethod.ZTest)]
    [InlineData(1001, 6, DriftMethod.Wasserstein)]
    [InlineData(1001, 5, DriftMethod.JensenShannon)]
    [InlineData(1001, 2, DriftMethod.JensenShannon)]
    public void Select_ReferenceSizeAndDistinctValues_EvidentlyDefault(int rows, int distinct, DriftMethod expected)
    {
        var reference = Enumerable.Range(0, rows).Select(i => (double)(i % distinct)).ToList();

        Assert.Equal(expected, DriftMethodSelector.Select(reference));
    }

    [Theory]
    [InlineData(DriftMethod.KolmogorovSmirnov, 0.05, true)]
    [InlineData(DriftMethod.ChiSquare, 0.05, false)]
    [InlineData(DriftMethod.ZTest, 0.05, false)]
    [InlineData(DriftMethod.Wasserstein, 0.1, true)]
    [InlineData(DriftMethod.JensenShannon, 0.1, true)]
    [InlineData(DriftMethod.Psi, 0.1, true)]
    public void Drifted_ScoreEqualToThreshold_FollowsEvidentlysComparison(DriftMethod method, double score, bool drifted) =>
        Assert.Equal(drifted, method.Drifted(score, method.DefaultThreshold()));

    // A 50/50 binary reference against a window with p = ones / 1,000 set, two categories so no binning or zero filling:
    // PSI = (0.5 − p)·ln(0.5 / p) + (p − 0.5)·ln(0.5 / (1 − p)), worked out by hand. The pairs straddle each threshold:
    // 350 → 0.0929 and 340 → 0.1061 (warning from 0.1); 270 → 0.2288 and 260 → 0.2510 (drift from 0.25).
    [Theory]
    [InlineData(500, 0.0, "ok")]
    [InlineData(350, 0.0929, "ok")]
    [InlineData(340, 0.1061, "warning")]
    [InlineData(270, 0.2288, "warning")]
    [InlineData(260, 0.2510, "drift")]
    [InlineData(100, 0.8789, "drift")]
    public void Evaluate_BinaryShareShifted_PsiLevelOkWarningOrDrift(int ones, double psi, string level)
    {
        double[] reference = [.. Enumerable.Range(0, 1000).Select(i => (double)(i % 2))];
        double[] current = [.. Enumerable.Range(0, 1000).Select(i => i < ones ? 1.0 : 0.0)];

        var result = FeatureDriftEvaluator.Evaluate("x", reference, current);

        Assert.Equal(psi, result.Psi, 4);
        Assert.Equal(level, result.PsiLevel);
    }
}
