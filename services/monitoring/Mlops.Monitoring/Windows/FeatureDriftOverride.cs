using Mlops.Monitoring.Drift;

namespace Mlops.Monitoring.Windows;

/// <summary>One feature's own statistic and/or threshold instead of Evidently's defaults.</summary>
public sealed class FeatureDriftOverride
{
    /// <summary><c>ks</c>, <c>chisquare</c>, <c>z</c>, <c>wasserstein</c>, <c>jensenshannon</c> or <c>psi</c>; the default choice when empty.</summary>
    public string? Method { get; set; }

    /// <summary>The threshold; the method's default when null.</summary>
    public double? Threshold { get; set; }

    /// <summary>The parsed method (null: default selection).</summary>
    public DriftMethod? ParsedMethod => string.IsNullOrWhiteSpace(Method) ? null : DriftMethods.Parse(Method);

    public bool IsValid() => string.IsNullOrWhiteSpace(Method) || DriftMethods.Parse(Method) is not null;
}
