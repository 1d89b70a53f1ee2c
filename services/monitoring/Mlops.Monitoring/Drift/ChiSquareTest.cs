using MathNet.Numerics;

namespace Mlops.Monitoring.Drift;

/// <summary>
/// Pearson's chi-square test of independence on the 2×k table of category counts (reference row, current row), as
/// scipy's <c>chi2_contingency</c> with its defaults: expected counts from the margins, dof = k − 1, and Yates'
/// continuity correction only when dof is 1. Categories seen in neither sample are left out (they would make an
/// expected count zero, which scipy refuses).
/// </summary>
public static class ChiSquareTest
{
    /// <summary>Statistic, degrees of freedom and p-value.</summary>
    public static (double Statistic, int DegreesOfFreedom, double PValue) Compute(IReadOnlyList<double> reference, IReadOnlyList<double> current)
    {
        if (reference.Count == 0 || current.Count == 0)
        {
            throw new ArgumentException("Both samples need at least one value.");
        }

        var (categories, referenceCounts, currentCounts) = CategoryCounts.Of(reference, current);
        var k = categories.Count;
        var dof = k - 1;
        if (dof == 0)
        {
            // One category in both: scipy returns statistic 0, p 1.
            return (0, 0, 1);
        }

        double total = reference.Count + current.Count;
        var statistic = 0.0;
        for (var c = 0; c < k; c++)
        {
            double column = referenceCounts[c] + currentCounts[c];
            statistic += Term(referenceCounts[c], reference.Count * column / total, dof);
            statistic += Term(currentCounts[c], current.Count * column / total, dof);
        }

        return (statistic, dof, Survival(statistic, dof));
    }

    /// <summary>P(χ²(dof) &gt; x) from the regularized upper incomplete gamma function.</summary>
    public static double Survival(double x, int dof) => x <= 0 ? 1.0 : SpecialFunctions.GammaUpperRegularized(dof / 2.0, x / 2.0);

    static double Term(double observed, double expected, int dof)
    {
        if (dof == 1)
        {
            // Yates: move each observed count half a unit towards its expectation, never past it.
            var diff = expected - observed;
            observed += Math.Sign(diff) * Math.Min(0.5, Math.Abs(diff));
        }

        var d = observed - expected;
        return d * d / expected;
    }
}
