using Mlops.Monitoring.Drift;

namespace Mlops.Monitoring.Windows;

/// <summary>A window's per-feature results and whether the dataset as a whole drifted (the prediction does not count towards that share).</summary>
public sealed record WindowVerdict(IReadOnlyList<FeatureDriftResult> Results, int EvaluatedFeatures, int DriftedFeatures, bool DatasetDrift)
{
    /// <summary>Share of the evaluated features that drifted.</summary>
    public double DriftedShare => EvaluatedFeatures == 0 ? 0 : (double)DriftedFeatures / EvaluatedFeatures;
}
