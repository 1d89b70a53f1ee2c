namespace Mlops.Monitoring.Drift;

/// <summary>One feature's drift verdict over one window.</summary>
/// <param name="Feature">Feature name (or <c>prediction</c> for the model's output).</param>
/// <param name="Method">Statistic that decided.</param>
/// <param name="Statistic">The test statistic (KS D, χ², z) or the distance itself.</param>
/// <param name="Score">What the threshold is compared with: the p-value for tests, the distance otherwise.</param>
/// <param name="Threshold">The threshold in force.</param>
/// <param name="Drifted">Whether the score crossed the threshold.</param>
/// <param name="Psi">PSI over the same samples, always reported.</param>
/// <param name="PsiLevel"><c>ok</c>, <c>warning</c> (≥ 0.1) or <c>drift</c> (≥ 0.25).</param>
/// <param name="ReferenceCount">Reference values compared.</param>
/// <param name="CurrentCount">Window values compared.</param>
public sealed record FeatureDriftResult(
    string Feature, DriftMethod Method, double Statistic, double Score, double Threshold, bool Drifted,
    double Psi, string PsiLevel, int ReferenceCount, int CurrentCount);
