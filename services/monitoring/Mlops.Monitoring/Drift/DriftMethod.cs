namespace Mlops.Monitoring.Drift;

/// <summary>Statistics a feature's drift can be judged by; the wire names are the lower-case ones in <see cref="DriftMethods"/>.</summary>
public enum DriftMethod
{
    KolmogorovSmirnov,
    ChiSquare,
    ZTest,
    Wasserstein,
    JensenShannon,
    Psi,
}

/// <summary>Wire names and default thresholds of the methods.</summary>
public static class DriftMethods
{
    /// <summary>The name used in options, the API and <c>DriftDetected</c>.</summary>
    public static string Name(this DriftMethod method) => method switch
    {
        DriftMethod.KolmogorovSmirnov => "ks",
        DriftMethod.ChiSquare => "chisquare",
        DriftMethod.ZTest => "z",
        DriftMethod.Wasserstein => "wasserstein",
        DriftMethod.JensenShannon => "jensenshannon",
        DriftMethod.Psi => "psi",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    /// <summary>Parses a wire name; null when unknown.</summary>
    public static DriftMethod? Parse(string? name) =>
        Enum.GetValues<DriftMethod>().Select(m => (DriftMethod?)m).FirstOrDefault(m => string.Equals(m!.Value.Name(), name, StringComparison.OrdinalIgnoreCase));

    /// <summary>True for tests whose score is a p-value (drift when small); false for distances (drift when large).</summary>
    public static bool IsPValue(this DriftMethod method) => method is DriftMethod.KolmogorovSmirnov or DriftMethod.ChiSquare or DriftMethod.ZTest;

    /// <summary>Evidently's default threshold: 0.05 for the tests, 0.1 for the distances and PSI.</summary>
    public static double DefaultThreshold(this DriftMethod method) => method.IsPValue() ? 0.05 : 0.1;

    /// <summary>
    /// Whether the score crosses the threshold. Evidently's own comparisons: KS drifts at p ≤ threshold, chi-square and
    /// the z-test at p &lt; threshold, the distances and PSI at ≥ threshold.
    /// </summary>
    public static bool Drifted(this DriftMethod method, double score, double threshold) => method switch
    {
        DriftMethod.KolmogorovSmirnov => score <= threshold,
        DriftMethod.ChiSquare or DriftMethod.ZTest => score < threshold,
        _ => score >= threshold,
    };
}
