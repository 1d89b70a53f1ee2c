namespace Mlops.Monitoring.Drift;

/// <summary>
/// First Wasserstein (earth mover's) distance between two 1-D empirical distributions, as scipy's
/// <c>wasserstein_distance</c> with equal weights: ∫|U(x) − V(x)| dx over the merged sorted values. Evidently's drift
/// score divides it by the reference's population standard deviation (floored at 0.001) so one threshold fits every scale.
/// </summary>
public static class WassersteinDistance
{
    /// <summary>Smallest denominator of the normed distance (Evidently's floor for a near-constant reference).</summary>
    public const double MinimumNorm = 0.001;

    /// <summary>The raw distance.</summary>
    public static double Compute(IReadOnlyList<double> u, IReadOnlyList<double> v)
    {
        if (u.Count == 0 || v.Count == 0)
        {
            throw new ArgumentException("Both samples need at least one value.");
        }

        var a = u.Order().ToArray();
        var b = v.Order().ToArray();
        var all = a.Concat(b).Order().ToArray();
        var distance = 0.0;
        int i = 0, j = 0;
        for (var k = 0; k < all.Length - 1; k++)
        {
            // CDFs just right of all[k] (searchsorted 'right'), constant until all[k + 1].
            while (i < a.Length && a[i] <= all[k])
            {
                i++;
            }

            while (j < b.Length && b[j] <= all[k])
            {
                j++;
            }

            distance += Math.Abs((double)i / a.Length - (double)j / b.Length) * (all[k + 1] - all[k]);
        }

        return distance;
    }

    /// <summary>The distance divided by max(σ(reference), 0.001), σ with ddof = 0.</summary>
    public static double Normed(IReadOnlyList<double> reference, IReadOnlyList<double> current) =>
        Compute(reference, current) / Math.Max(PopulationStandardDeviation(reference), MinimumNorm);

    /// <summary>σ with ddof = 0 (numpy's <c>std</c> default), two-pass for accuracy.</summary>
    public static double PopulationStandardDeviation(IReadOnlyList<double> values)
    {
        var mean = values.Average();
        var sum = 0.0;
        foreach (var x in values)
        {
            sum += (x - mean) * (x - mean);
        }

        return Math.Sqrt(sum / values.Count);
    }
}
