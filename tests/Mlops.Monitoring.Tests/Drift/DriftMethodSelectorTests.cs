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

    [Fact]
    public void Psi_LevelsAtWarningAndDrift()
    {
        double[] reference = [.. Enumerable.Range(0, 1000).Select(i => (double)(i % 2))];
        double[] same = [.. Enumerable.Range(0, 1000).Select(i => (double)(i % 2))];
        double[] skewed = [.. Enumerable.Range(0, 1000).Select(i => i % 10 == 0 ? 1.0 : 0.0)];

        Assert.Equal("ok", FeatureDriftEvaluator.Evaluate("x", reference, same).PsiLevel);
        Assert.Equal("drift", FeatureDriftEvaluator.Evaluate("x", reference, skewed).PsiLevel);
    }
}
