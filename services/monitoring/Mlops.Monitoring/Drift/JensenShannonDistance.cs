namespace Mlops.Monitoring.Drift;

/// <summary>
/// Jensen–Shannon distance (the square root of the divergence) with natural logarithms, as scipy's
/// <c>spatial.distance.jensenshannon(p, q)</c> with its default base, which is how Evidently calls it: over Evidently's
/// bins (<see cref="DistributionBinning"/>, 30 bins, empty bins left at zero). Bounded by √ln 2 ≈ 0.833.
/// </summary>
public static class JensenShannonDistance
{
    /// <summary>The distance between two samples, binned.</summary>
    public static double Compute(IReadOnlyList<double> reference, IReadOnlyList<double> current, bool numeric = true, int bins = DistributionBinning.DefaultBins)
    {
        var (r, c) = DistributionBinning.Shares(reference, current, numeric, bins, fillZeros: false);
        return Between(r, c);
    }

    /// <summary>The distance between two (not necessarily normalised) weight vectors; scipy normalises both first.</summary>
    public static double Between(double[] p, double[] q)
    {
        double sp = p.Sum(), sq = q.Sum();
        var divergence = 0.0;
        for (var i = 0; i < p.Length; i++)
        {
            double pi = p[i] / sp, qi = q[i] / sq, m = (pi + qi) / 2;
            divergence += RelativeEntropy(pi, m) + RelativeEntropy(qi, m);
        }

        return Math.Sqrt(Math.Max(divergence / 2, 0));
    }

    // scipy.special.rel_entr: x·ln(x/y), 0 at x = 0.
    static double RelativeEntropy(double x, double y) => x == 0 ? 0 : x * Math.Log(x / y);
}
