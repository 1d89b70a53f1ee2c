using MathNet.Numerics;

namespace Mlops.Monitoring.Drift;

/// <summary>
/// Two-proportion z-test with a pooled variance, two-sided, for binary features (Evidently's z-test): the share of the
/// target category (the largest value seen in either sample) in each sample. When both samples hold the same single
/// value there is nothing to compare: z = 0, p = 1.
/// </summary>
public static class TwoProportionZTest
{
    /// <summary>z statistic (reference share minus current share, over the pooled standard error) and two-sided p-value.</summary>
    public static (double Statistic, double PValue) Compute(IReadOnlyList<double> reference, IReadOnlyList<double> current)
    {
        if (reference.Count == 0 || current.Count == 0)
        {
            throw new ArgumentException("Both samples need at least one value.");
        }

        var target = Math.Max(reference.Max(), current.Max());
        double n1 = reference.Count, n2 = current.Count;
        var p1 = reference.Count(v => v == target) / n1;
        var p2 = current.Count(v => v == target) / n2;
        var pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
        var se = Math.Sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
        if (se == 0)
        {
            return (0, 1);
        }

        var z = (p1 - p2) / se;
        return (z, TwoSidedNormalP(z));
    }

    /// <summary>2·P(Z &gt; |z|) = erfc(|z|/√2), accurate in the far tail.</summary>
    public static double TwoSidedNormalP(double z) => SpecialFunctions.Erfc(Math.Abs(z) / Math.Sqrt(2));
}
