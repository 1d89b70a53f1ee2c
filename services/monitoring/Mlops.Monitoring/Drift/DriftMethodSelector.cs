namespace Mlops.Monitoring.Drift;

/// <summary>
/// Evidently's default choice of statistic for a feature, from its reference sample alone (so every window of a
/// version is judged the same way): a reference of at most <see cref="SmallReferenceRows"/> values gets a test —
/// Kolmogorov–Smirnov for a numeric feature with more than <see cref="MaxCategoricalValues"/> distinct values, else
/// chi-square when it has more than two categories, else the two-proportion z-test; a larger reference gets a
/// distance — Wasserstein (normed) for numeric, Jensen–Shannon for categorical.
/// </summary>
public static class DriftMethodSelector
{
    /// <summary>Largest reference judged with a significance test.</summary>
    public const int SmallReferenceRows = 1_000;

    /// <summary>A numeric feature with at most this many distinct reference values is treated as categorical.</summary>
    public const int MaxCategoricalValues = 5;

    /// <summary>The default method for a reference sample.</summary>
    public static DriftMethod Select(IReadOnlyList<double> reference, bool numeric = true)
    {
        var distinct = reference.Distinct().Count();
        var treatedAsNumeric = numeric && distinct > MaxCategoricalValues;
        if (reference.Count <= SmallReferenceRows)
        {
            return treatedAsNumeric ? DriftMethod.KolmogorovSmirnov : distinct > 2 ? DriftMethod.ChiSquare : DriftMethod.ZTest;
        }

        return treatedAsNumeric ? DriftMethod.Wasserstein : DriftMethod.JensenShannon;
    }

    /// <summary>True when the method's binning should treat the feature as numeric.</summary>
    public static bool TreatAsNumeric(IReadOnlyList<double> reference) => reference.Distinct().Count() > MaxCategoricalValues;
}
