using Mlops.Testing;
using System.Globalization;
using Mlops.Gateway.Experiments;

namespace Mlops.Gateway.Tests.Experiments;

public sealed class SampleSizeTests
{
    [Fact]
    public void TwoProportionsPerArm_FivePercentToFivePointFive_Is31231()
    {
        Assert.Equal(31_231, SampleSize.TwoProportionsPerArm(0.05, 0.055, alpha: 0.05, power: 0.8));
    }

    [Theory]
    [InlineData(0.05, 0.055, 0.05, 0.8, true)]
    [InlineData(0.10, 0.12, 0.05, 0.9, true)]
    [InlineData(0.30, 0.25, 0.01, 0.8, true)]
    [InlineData(0.02, 0.03, 0.05, 0.8, false)]
    public void TwoProportionsPerArm_AgainstScipyNormalQuantiles_SameCount(double p1, double p2, double alpha, double power, bool twoSided)
    {
        string F(double v) => v.ToString(CultureInfo.InvariantCulture);
        var zAlpha = twoSided ? $"norm.ppf(1 - {F(alpha)} / 2)" : $"norm.ppf(1 - {F(alpha)})";
        var expected = ReferencePython.Evaluate(
            $"import math; from scipy.stats import norm; z = {zAlpha} + norm.ppf({F(power)}); " +
            $"print(math.ceil(z * z * ({F(p1)} * (1 - {F(p1)}) + {F(p2)} * (1 - {F(p2)})) / ({F(p2)} - {F(p1)}) ** 2))");

        Assert.Equal((long)expected, SampleSize.TwoProportionsPerArm(p1, p2, alpha, power, twoSided));
    }

    [Fact]
    public void TwoProportionsPerArm_SameRates_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SampleSize.TwoProportionsPerArm(0.05, 0.05));
    }
}
