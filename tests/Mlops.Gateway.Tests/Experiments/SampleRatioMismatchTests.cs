using Mlops.Testing;
using Mlops.Gateway.Experiments;

namespace Mlops.Gateway.Tests.Experiments;

public sealed class SampleRatioMismatchTests
{
    [Theory]
    [InlineData(1.0, 1)]
    [InlineData(3.84, 1)]
    [InlineData(10.83, 1)]
    [InlineData(25.0, 1)]
    [InlineData(60.0, 1)]
    [InlineData(7.5, 2)]
    [InlineData(16.3, 3)]
    public void SurvivalFunction_AgainstScipy_AgreesToTenDigits(double x, int df)
    {
        var expected = ReferencePython.Evaluate($"from scipy.stats import chi2; print(repr(float(chi2.sf({x.ToString(System.Globalization.CultureInfo.InvariantCulture)}, {df}))))");

        var actual = SampleRatioMismatch.SurvivalFunction(x, df);

        Assert.Equal(expected, actual, expected * 1e-10);
    }

    [Fact]
    public void Test_UnevenFiftyFiftySplit_MatchesScipyChisquareAndFlags()
    {
        long[] observed = [50_000, 48_500];
        var expected = ReferencePython.Evaluate("from scipy.stats import chisquare; print(repr(float(chisquare([50000, 48500], [49250, 49250]).pvalue)))");

        var result = SampleRatioMismatch.Test(observed, [1, 1]);

        Assert.Equal(expected, result.PValue, expected * 1e-9);
        Assert.Equal(2.0 * 750 * 750 / 49_250, result.ChiSquare, 1e-9);
        Assert.True(result.Mismatch);
    }

    [Fact]
    public void Test_SplitWithinChance_DoesNotFlag()
    {
        var result = SampleRatioMismatch.Test([10_050, 9_950], [1, 1]);

        Assert.Equal(0.479500122, result.PValue, 1e-6);
        Assert.False(result.Mismatch);
    }

    [Fact]
    public void Test_ThreeArmsWithUnequalWeights_UsesTheWeights()
    {
        // 20/30/50 weights observed exactly: no mismatch at all; the same counts against equal weights are a gross mismatch.
        Assert.Equal(1.0, SampleRatioMismatch.Test([2_000, 3_000, 5_000], [0.2, 0.3, 0.5]).PValue, 1e-12);
        Assert.True(SampleRatioMismatch.Test([2_000, 3_000, 5_000], [1, 1, 1]).Mismatch);
    }
}
