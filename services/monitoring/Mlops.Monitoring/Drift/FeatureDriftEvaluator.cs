namespace Mlops.Monitoring.Drift;

/// <summary>Judges one feature's window against its reference: the chosen (or overridden) statistic plus PSI.</summary>
public static class FeatureDriftEvaluator
{
    /// <summary>PSI from which a feature is reported as a warning.</summary>
    public const double PsiWarning = 0.1;

    /// <summary>PSI from which a feature is reported as drifted.</summary>
    public const double PsiDrift = 0.25;

    /// <summary>The verdict; <paramref name="method"/> and <paramref name="threshold"/> override the defaults when given.</summary>
    public static FeatureDriftResult Evaluate(
        string feature, IReadOnlyList<double> reference, IReadOnlyList<double> current, DriftMethod? method = null, double? threshold = null)
    {
        var chosen = method ?? DriftMethodSelector.Select(reference);
        var limit = threshold ?? chosen.DefaultThreshold();
        var numeric = DriftMethodSelector.TreatAsNumeric(reference);
        var (statistic, score) = chosen switch
        {
            DriftMethod.KolmogorovSmirnov => KolmogorovSmirnovTest.Compute(reference, current),
            DriftMethod.ChiSquare => ChiSquareTest.Compute(reference, current) is var c ? (c.Statistic, c.PValue) : default,
            DriftMethod.ZTest => TwoProportionZTest.Compute(reference, current),
            DriftMethod.Wasserstein => WassersteinDistance.Normed(reference, current) is var w ? (w, w) : default,
            DriftMethod.JensenShannon => JensenShannonDistance.Compute(reference, current, numeric) is var j ? (j, j) : default,
            DriftMethod.Psi => PopulationStabilityIndex.Compute(reference, current, numeric) is var p ? (p, p) : default,
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        };
        var psi = chosen == DriftMethod.Psi ? score : PopulationStabilityIndex.Compute(reference, current, numeric);
        var level = psi >= PsiDrift ? "drift" : psi >= PsiWarning ? "warning" : "ok";
        return new FeatureDriftResult(feature, chosen, statistic, score, limit, chosen.Drifted(score, limit), psi, level, reference.Count, current.Count);
    }

    /// <summary>Evidently's dataset drift: at least <paramref name="share"/> of the features drifted.</summary>
    public static bool DatasetDrifted(IReadOnlyCollection<FeatureDriftResult> features, double share = 0.5) =>
        features.Count > 0 && features.Count(f => f.Drifted) >= share * features.Count;
}
