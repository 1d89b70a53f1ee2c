namespace Mlops.Contracts.Monitoring;

/// <summary>
/// A model version is spending its error budget too fast (MassTransit event): over both the long and the short window
/// of one multi-window burn-rate rule, the share of bad requests divided by the budget (1 − objective) exceeded the
/// rule's burn rate. <c>availability</c> counts failed requests among all; <c>latency</c> counts successful requests
/// slower than the threshold among the successful ones. Raised at most once per version, kind and severity within the
/// debounce period; <see cref="AlertId"/> is stable across redeliveries, so a consumer deduplicates on it.
/// </summary>
[EventType("mlops.monitoring.slo-breached.v1")]
public sealed record SloBreached
{
    /// <summary>Unique id of this alert.</summary>
    public required Guid AlertId { get; init; }

    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Model version whose requests were counted (every variant serving it, summed over inference pods).</summary>
    public required string ModelVersion { get; init; }

    /// <summary><c>availability</c> or <c>latency</c>.</summary>
    public required string Kind { get; init; }

    /// <summary><c>page</c> (someone must act now) or <c>ticket</c> (act within working hours).</summary>
    public required string Severity { get; init; }

    /// <summary>Share of requests that must be good, e.g. 0.999; the error budget is 1 − this.</summary>
    public required double Objective { get; init; }

    /// <summary>For <c>latency</c>: the histogram bound requests were held to, in milliseconds (the configured threshold rounded up to a bucket bound); null for availability.</summary>
    public double? LatencyThresholdMs { get; init; }

    /// <summary>The burn rate both windows had to exceed.</summary>
    public required double BurnRateThreshold { get; init; }

    /// <summary>Length of the long window.</summary>
    public required TimeSpan LongWindow { get; init; }

    /// <summary>Length of the short window (it confirms the budget is still burning now).</summary>
    public required TimeSpan ShortWindow { get; init; }

    /// <summary>Burn rate over the long window.</summary>
    public required double LongBurnRate { get; init; }

    /// <summary>Burn rate over the short window.</summary>
    public required double ShortBurnRate { get; init; }

    /// <summary>Bad requests in the long window.</summary>
    public required long LongBad { get; init; }

    /// <summary>Requests counted in the long window (the ratio's denominator).</summary>
    public required long LongTotal { get; init; }

    /// <summary>Bad requests in the short window.</summary>
    public required long ShortBad { get; init; }

    /// <summary>Requests counted in the short window.</summary>
    public required long ShortTotal { get; init; }

    /// <summary>When monitoring evaluated the windows (the end of both).</summary>
    public required DateTimeOffset DetectedAt { get; init; }
}
