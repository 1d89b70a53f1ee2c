namespace Mlops.Monitoring.Slo;

/// <summary>
/// Availability and latency objectives of every served model version, read from inference's <c>/metrics</c>, and the
/// multi-window burn-rate alerts that watch their error budgets (section <c>Monitoring:Slo</c>). The pods scraped are
/// <see cref="MonitoringOptions.InferenceBaseAddresses"/>.
/// </summary>
public sealed class SloOptions
{
    public const string Section = "Monitoring:Slo";

    /// <summary>Share of requests that must succeed; the error budget is 1 − this (0.999 leaves 0.1 %).</summary>
    public double AvailabilityObjective { get; set; } = 0.999;

    /// <summary>A successful request slower than this (milliseconds, rounded up to the histogram's next bucket bound) is bad for the latency SLO.</summary>
    public double LatencyThresholdMs { get; set; } = 250;

    /// <summary>Share of successful requests that must take at most <see cref="LatencyThresholdMs"/>.</summary>
    public double LatencyObjective { get; set; } = 0.99;

    /// <summary>How often inference's counters are read and the rules evaluated.</summary>
    public TimeSpan ScrapeInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Longest wait for one pod's <c>/metrics</c>.</summary>
    public TimeSpan ScrapeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A version, kind and severity already alerted on is not alerted on again within this period.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Objectives of particular models over the service-wide ones; settings stored over the API override these.</summary>
    public Dictionary<string, ModelSloOptions> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The alert rules. Empty means <see cref="WorkbookRules"/>; a configured list replaces them entirely (the
    /// configuration binder appends to a list that already has items, so the defaults cannot live here).
    /// </summary>
    public List<BurnRateRule> Rules { get; set; } = [];

    /// <summary>
    /// The SRE workbook's recommendation for a 30-day budget: 2 % of it spent in 1 h (burn 14.4) or 5 % in 6 h (6)
    /// pages; 10 % in 24 h (3) or 10 % in 72 h (1) opens a ticket.
    /// </summary>
    public static IReadOnlyList<BurnRateRule> WorkbookRules { get; } =
    [
        new() { Severity = SloJudge.Page, LongWindow = TimeSpan.FromHours(1), ShortWindow = TimeSpan.FromMinutes(5), BurnRate = 14.4 },
        new() { Severity = SloJudge.Page, LongWindow = TimeSpan.FromHours(6), ShortWindow = TimeSpan.FromMinutes(30), BurnRate = 6 },
        new() { Severity = SloJudge.Ticket, LongWindow = TimeSpan.FromHours(24), ShortWindow = TimeSpan.FromHours(2), BurnRate = 3 },
        new() { Severity = SloJudge.Ticket, LongWindow = TimeSpan.FromHours(72), ShortWindow = TimeSpan.FromHours(6), BurnRate = 1 },
    ];

    /// <summary>The rules in force.</summary>
    public IReadOnlyList<BurnRateRule> EffectiveRules => Rules.Count > 0 ? Rules : WorkbookRules;

    /// <summary>Readings are kept as long as the longest window needs them, plus one scrape interval.</summary>
    public TimeSpan Retention => EffectiveRules.Max(r => r.LongWindow) + ScrapeInterval;

    /// <summary>A model's objectives: each value it sets, else the service-wide one.</summary>
    public SloObjectives Resolve(ModelSloOptions? model) => new(
        model?.LatencyThresholdMs ?? LatencyThresholdMs, model?.LatencyObjective ?? LatencyObjective, model?.AvailabilityObjective ?? AvailabilityObjective);

    /// <summary>What is wrong with one model's objectives (as configured or sent over the API), or null.</summary>
    public static string? ModelProblem(ModelSloOptions model)
    {
        if (model.AvailabilityObjective is { } availability && availability is not (> 0 and < 1))
        {
            return "availabilityObjective must lie strictly between 0 and 1 (0.999 allows an error rate of 0.1 %)";
        }

        if (model.LatencyObjective is { } latency && latency is not (> 0 and < 1))
        {
            return "latencyObjective must lie strictly between 0 and 1 (0.99 makes latencyThresholdMs a p99 objective)";
        }

        if (model.LatencyThresholdMs is { } threshold && (!(threshold > 0) || !double.IsFinite(threshold)))
        {
            return "latencyThresholdMs must be a positive number of milliseconds";
        }

        return null;
    }

    /// <summary>Problems with the settings, for <c>Validate</c>.</summary>
    public bool IsValid(out string? problem)
    {
        problem = null;
        if (AvailabilityObjective is not (> 0 and < 1) || LatencyObjective is not (> 0 and < 1))
        {
            problem = "Monitoring:Slo:AvailabilityObjective and LatencyObjective must lie strictly between 0 and 1";
        }
        else if (!(LatencyThresholdMs > 0) || !double.IsFinite(LatencyThresholdMs))
        {
            problem = "Monitoring:Slo:LatencyThresholdMs must be a positive number of milliseconds";
        }
        else if (ScrapeInterval <= TimeSpan.Zero || ScrapeTimeout <= TimeSpan.Zero || Debounce < TimeSpan.Zero)
        {
            problem = "Monitoring:Slo:ScrapeInterval and ScrapeTimeout must be positive, Debounce not negative";
        }
        else if (Models.Select(m => (m.Key, Problem: ModelProblem(m.Value))).FirstOrDefault(m => m.Problem is not null) is { Problem: { } modelProblem } model)
        {
            problem = $"Monitoring:Slo:Models:{model.Key}: {modelProblem}";
        }
        else if (EffectiveRules.FirstOrDefault(r => r.Severity is not (SloJudge.Page or SloJudge.Ticket)) is { } severity)
        {
            problem = $"Monitoring:Slo:Rules: severity '{severity.Severity}' is neither {SloJudge.Page} nor {SloJudge.Ticket}";
        }
        else if (EffectiveRules.Any(r => r.ShortWindow < ScrapeInterval || r.LongWindow <= r.ShortWindow || !(r.BurnRate > 0)))
        {
            problem = "Monitoring:Slo:Rules: every rule needs ShortWindow at least ScrapeInterval, LongWindow longer than ShortWindow and a positive BurnRate";
        }

        return problem is null;
    }
}
