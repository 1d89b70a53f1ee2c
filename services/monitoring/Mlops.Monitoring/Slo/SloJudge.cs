namespace Mlops.Monitoring.Slo;

/// <summary>
/// The SLO arithmetic, without I/O: folding counter resets into running totals, a window's bad ratios from two totals,
/// burn rates, and the multi-window rule of the SRE workbook.
/// </summary>
public static class SloJudge
{
    public const string Page = "page";
    public const string Ticket = "ticket";
    public const string Availability = "availability";
    public const string Latency = "latency";

    /// <summary>
    /// The running total after <paramref name="raw"/>, given the previous raw reading and total (none for a series seen
    /// for the first time: its total starts at the raw value, and only later increases are ever counted). As in
    /// Prometheus' <c>increase()</c>, a counter lower than before means the process restarted and counted
    /// <paramref name="raw"/> since; the three counters of a series restart together, so a drop in any one of them
    /// restarts all three (one counter alone can miss a restart it has already outgrown).
    /// </summary>
    public static SloCounters Accumulate(SloCounters? previousRaw, SloCounters previousTotal, SloCounters raw, bool restarted = false)
    {
        if (previousRaw is not { } before)
        {
            return raw;
        }

        // A restart only the histogram's buckets show (restarted) resets the counters with them.
        var reset = restarted || raw.Successes < before.Successes || raw.Errors < before.Errors || raw.Fast < before.Fast;
        return previousTotal + (reset ? raw : raw - before);
    }

    /// <summary>Whether the pod restarted between two raw readings of a series: any counter or bucket went down.</summary>
    public static bool Restarted(SloCounters before, SloCounters raw, LatencyBuckets? bucketsBefore, LatencyBuckets? buckets) =>
        raw.Successes < before.Successes || raw.Errors < before.Errors || raw.Fast < before.Fast
        || (bucketsBefore is not null && buckets is not null && bucketsBefore.SameBounds(buckets)
            && buckets.Counts.Where((count, i) => count < bucketsBefore.Counts[i]).Any());

    /// <summary>
    /// The histogram's running totals after <paramref name="raw"/>, folded like <see cref="Accumulate"/>: a series seen
    /// for the first time, or whose bounds changed, starts at the raw counts.
    /// </summary>
    public static LatencyBuckets AccumulateBuckets(LatencyBuckets? previousRaw, LatencyBuckets? previousTotal, LatencyBuckets raw, bool restarted)
    {
        if (previousRaw is null || previousTotal is null || !previousRaw.SameBounds(raw) || !previousTotal.SameBounds(raw))
        {
            return raw;
        }

        var totals = new double[raw.Counts.Length];
        for (var i = 0; i < totals.Length; i++)
        {
            totals[i] = previousTotal.Counts[i] + (restarted ? raw.Counts[i] : raw.Counts[i] - previousRaw.Counts[i]);
        }

        return new LatencyBuckets(raw.Bounds, totals);
    }

    /// <summary>What one histogram counted between two running totals; null when the bounds differ (the stored fast count is used then).</summary>
    public static LatencyBuckets? IncreaseBuckets(LatencyBuckets? start, LatencyBuckets? end) =>
        start is null || end is null || !start.SameBounds(end)
            ? null
            : new LatencyBuckets(end.Bounds, [.. end.Counts.Select((count, i) => Math.Max(0, count - start.Counts[i]))]);

    /// <summary>What one series counted between two running totals (a window's start and end reading).</summary>
    public static SloCounters Increase(SloCounters start, SloCounters end) =>
        new(Math.Max(0, end.Successes - start.Successes), Math.Max(0, end.Errors - start.Errors), Math.Max(0, end.Fast - start.Fast));

    /// <summary>Failed requests among all requests of a window; null without requests.</summary>
    public static double? ErrorRatio(SloCounters window) => window.Requests > 0 ? window.Errors / window.Requests : null;

    /// <summary>
    /// Slow requests among the successful ones (the latency histogram only sees successes; failures count against
    /// availability); null without successes.
    /// </summary>
    public static double? SlowRatio(SloCounters window) => window.Successes > 0 ? Math.Clamp(window.Slow / window.Successes, 0, 1) : null;

    /// <summary>How many times faster than allowed the budget is spent: 1 spends exactly the budget over the SLO period.</summary>
    public static double BurnRate(double badRatio, double objective) => badRatio / (1 - objective);

    /// <summary>One window of one SLO kind.</summary>
    public static WindowBurn Burn(string kind, TimeSpan duration, SloCounters window, double objective)
    {
        var (bad, total, ratio) = kind == Latency
            ? (window.Slow, window.Successes, SlowRatio(window))
            : (window.Errors, window.Requests, ErrorRatio(window));
        return new(duration, (long)Math.Round(Math.Max(0, bad)), (long)Math.Round(total), ratio, ratio is { } r ? BurnRate(r, objective) : null);
    }

    /// <summary>
    /// The multi-window rule: both windows burn faster than the rule's rate. The long window makes the alert
    /// significant, the short one makes it stop soon after the burning stops; a window without traffic never fires.
    /// </summary>
    public static bool Fires(BurnRateRule rule, WindowBurn longWindow, WindowBurn shortWindow) =>
        longWindow.BurnRate > rule.BurnRate && shortWindow.BurnRate > rule.BurnRate;

    /// <summary>
    /// Every rule of one SLO kind for one version, from what it counted over each window length (summed over its
    /// series); a window length absent from <paramref name="windows"/> counts nothing. The objective is the model's
    /// own (<paramref name="objectives"/>), else the service-wide one.
    /// </summary>
    public static SloStatus Evaluate(
        string model, string version, string kind, IReadOnlyDictionary<TimeSpan, SloCounters> windows, double? latencyBoundMs,
        SloOptions options, DateTimeOffset now, SloObjectives? objectives = null)
    {
        var objective = (objectives ?? options.Resolve(null)).Of(kind);
        WindowBurn BurnOver(TimeSpan duration) => Burn(kind, duration, windows.GetValueOrDefault(duration), objective);
        var rules = options.EffectiveRules.Select(rule =>
        {
            var longWindow = BurnOver(rule.LongWindow);
            var shortWindow = BurnOver(rule.ShortWindow);
            return new RuleStatus(rule.Severity, rule.BurnRate, longWindow, shortWindow, Fires(rule, longWindow, shortWindow));
        }).ToList();
        return new(model, version, kind, objective, kind == Latency ? latencyBoundMs : null, now, rules);
    }

    /// <summary>
    /// The alerts of a version's SLOs: one per kind and severity that has a firing rule (the first firing rule of that
    /// severity, in configured order, is its evidence).
    /// </summary>
    public static IEnumerable<(SloStatus Slo, RuleStatus Rule)> Breaches(IEnumerable<SloStatus> statuses) =>
        statuses.SelectMany(s => s.Rules.Where(r => r.Firing).GroupBy(r => r.Severity).Select(g => (s, g.First())));
}
