namespace Mlops.Monitoring.Drift;

/// <summary>
/// Population stability index Σ (r − c)·ln(r / c) over Evidently's bins (<see cref="DistributionBinning"/>, 30 bins,
/// empty bins filled so the logarithm is finite). Evidently flags drift at ≥ 0.1; the platform reports 0.1 as a warning
/// and 0.25 as drift, the usual credit-scoring reading.
/// </summary>
public static class PopulationStabilityIndex
{
    /// <summary>The index.</summary>
    public static double Compute(IReadOnlyList<double> reference, IReadOnlyList<double> current, bool numeric = true, int bins = DistributionBinning.DefaultBins)
    {
        var (r, c) = DistributionBinning.Shares(reference, current, numeric, bins, fillZeros: true);
        var psi = 0.0;
        for (var i = 0; i < r.Length; i++)
        {
            psi += (r[i] - c[i]) * Math.Log(r[i] / c[i]);
        }

        return psi;
    }
}
