namespace Mlops.Training;

/// <summary>
/// The minimum-quality gate at Evaluate (section <c>Training:QualityGate</c>): on the held-out rows the model must beat
/// the degraded-mode rule (NEWS2 bands) and a constant predictor (the training base rate).
/// </summary>
public sealed class QualityGateOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Training:QualityGate";

    /// <summary>AUROC the model must exceed the better of the rule and the constant predictor (0.5) by.</summary>
    public double MinAurocMargin { get; set; } = 0.02;

    /// <summary>Validates the bound values.</summary>
    public static bool IsValid(QualityGateOptions o) => double.IsFinite(o.MinAurocMargin) && o.MinAurocMargin is >= 0 and < 0.5;
}
