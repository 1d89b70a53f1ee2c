namespace Mlops.Monitoring.Slo;

/// <summary>
/// One multi-window burn-rate alert: it fires when the budget burned faster than <see cref="BurnRate"/> over both the
/// long window (the burn is significant) and the short one (it is still going on, so the alert resets quickly once
/// the cause is fixed).
/// </summary>
public sealed class BurnRateRule
{
    /// <summary><c>page</c> or <c>ticket</c>.</summary>
    public string Severity { get; set; } = SloJudge.Page;

    public TimeSpan LongWindow { get; set; }

    public TimeSpan ShortWindow { get; set; }

    /// <summary>How many times faster than the budget allows (1 = the budget would last exactly the SLO period).</summary>
    public double BurnRate { get; set; }
}
