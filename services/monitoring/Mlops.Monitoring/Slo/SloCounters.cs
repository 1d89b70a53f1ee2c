namespace Mlops.Monitoring.Slo;

/// <summary>
/// Counts of one series (one inference pod's model version): successful requests, failed requests, and successful
/// requests at most the latency bound. As read from <c>/metrics</c> they are cumulative since the pod started; as a
/// running total they never decrease (resets folded in); as the difference of two totals they count one window.
/// </summary>
public readonly record struct SloCounters(double Successes, double Errors, double Fast)
{
    /// <summary>Every request answered, well or not.</summary>
    public double Requests => Successes + Errors;

    /// <summary>Successful requests slower than the latency bound.</summary>
    public double Slow => Successes - Fast;

    public static SloCounters operator +(SloCounters a, SloCounters b) => new(a.Successes + b.Successes, a.Errors + b.Errors, a.Fast + b.Fast);

    public static SloCounters operator -(SloCounters a, SloCounters b) => new(a.Successes - b.Successes, a.Errors - b.Errors, a.Fast - b.Fast);
}
