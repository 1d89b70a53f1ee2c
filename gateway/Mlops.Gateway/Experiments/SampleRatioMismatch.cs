using MathNet.Numerics;

namespace Mlops.Gateway.Experiments;

/// <summary>The sample-ratio check's answer.</summary>
/// <param name="ChiSquare">Pearson's statistic Σ (observed − expected)² / expected.</param>
/// <param name="DegreesOfFreedom">Arms minus one.</param>
/// <param name="PValue">Chance of a split at least this uneven if assignment works as configured.</param>
/// <param name="Mismatch">True when <see cref="PValue"/> is below the threshold: the experiment's assignment is broken and its result must not be trusted.</param>
public sealed record SampleRatioResult(double ChiSquare, int DegreesOfFreedom, double PValue, bool Mismatch);

/// <summary>
/// Sample-ratio mismatch: a chi-square goodness-of-fit test of the units each arm received against the configured
/// weights. The p-value is the chi-square survival function, the upper regularized incomplete gamma function
/// Q(df / 2, χ² / 2) (computed directly, not as 1 − CDF, so tiny p-values keep their precision).
/// </summary>
public static class SampleRatioMismatch
{
    /// <summary>The conventional threshold: a true 50/50 split trips it once in a thousand experiments.</summary>
    public const double DefaultThreshold = 0.001;

    public static SampleRatioResult Test(IReadOnlyList<long> observed, IReadOnlyList<double> weights, double threshold = DefaultThreshold)
    {
        if (observed.Count != weights.Count || observed.Count < 2)
        {
            throw new ArgumentException("need one weight per arm and at least two arms", nameof(weights));
        }

        var total = observed.Sum();
        var weightSum = weights.Sum();
        if (total == 0 || !(weightSum > 0) || weights.Any(w => !(w > 0)))
        {
            return new SampleRatioResult(0, observed.Count - 1, 1, false);
        }

        var chiSquare = 0.0;
        for (var i = 0; i < observed.Count; i++)
        {
            var expected = total * weights[i] / weightSum;
            chiSquare += (observed[i] - expected) * (observed[i] - expected) / expected;
        }

        var df = observed.Count - 1;
        var pValue = SurvivalFunction(chiSquare, df);
        return new SampleRatioResult(chiSquare, df, pValue, pValue < threshold);
    }

    /// <summary>P(X ≥ x) for X chi-square with <paramref name="degreesOfFreedom"/>.</summary>
    public static double SurvivalFunction(double x, int degreesOfFreedom) =>
        x <= 0 ? 1 : SpecialFunctions.GammaUpperRegularized(degreesOfFreedom / 2.0, x / 2.0);
}
