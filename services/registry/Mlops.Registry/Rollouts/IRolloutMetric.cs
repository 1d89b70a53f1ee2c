using Mlops.Contracts.Registry;

namespace Mlops.Registry.Rollouts;

/// <summary>One measurement of a rollout's analysis (error rate, p99 latency, divergence, …).</summary>
public interface IRolloutMetric
{
    /// <summary>Name in the analysis (e.g. <c>error-rate</c>).</summary>
    string Name { get; }

    /// <summary>The limit this metric is judged against, or null when the rollout does not ask for it.</summary>
    double? ThresholdOf(RolloutThresholds thresholds);

    /// <summary>Measures the candidate; a value it cannot obtain is null with the reason in the evidence (never an exception).</summary>
    Task<MetricReading> MeasureAsync(RolloutMetricContext context, CancellationToken cancellationToken);
}

/// <summary>What a metric measures: the candidate, and the cumulative counters of the previous analysis (empty at the first).</summary>
public sealed record RolloutMetricContext(string ModelName, string CandidateVersion, IReadOnlyDictionary<string, double> Baseline, long MinRequests)
{
    /// <summary>Start of the period quality and drift are measured over (the rollout's start).</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Labelled predictions each side needs for a quality comparison.</summary>
    public long MinLabels { get; init; } = 1;
}

/// <summary>A measured value (null: could not measure), where it came from, and cumulative counters for the next analysis.</summary>
public sealed record MetricReading(double? Value, string Evidence, IReadOnlyDictionary<string, double> Snapshot)
{
    public static MetricReading Missing(string why) => new(null, why, new Dictionary<string, double>());
}
