namespace Mlops.Monitoring.Slo;

/// <summary>
/// One model's SLO objectives (<c>Monitoring:Slo:Models:{model}</c>, or the <c>slo</c> part of its settings over the
/// API). A value left out (null) falls back to the service-wide one in <see cref="SloOptions"/>. With the default
/// <see cref="LatencyObjective"/> of 0.99, <see cref="LatencyThresholdMs"/> is the p99 latency objective; the
/// error-rate objective is 1 − <see cref="AvailabilityObjective"/>.
/// </summary>
public sealed record ModelSloOptions
{
    /// <summary>A successful prediction slower than this (milliseconds, rounded up to the histogram's next bound) is bad for the latency SLO.</summary>
    public double? LatencyThresholdMs { get; init; }

    /// <summary>Share of successful predictions that must take at most <see cref="LatencyThresholdMs"/> (0.99: a p99 objective).</summary>
    public double? LatencyObjective { get; init; }

    /// <summary>Share of predictions that must succeed (0.999 allows an error rate of 0.1 %).</summary>
    public double? AvailabilityObjective { get; init; }
}

/// <summary>A model's SLO objectives with every value resolved.</summary>
public sealed record SloObjectives(double LatencyThresholdMs, double LatencyObjective, double AvailabilityObjective)
{
    /// <summary>The objective of one SLO kind.</summary>
    public double Of(string kind) => kind == SloJudge.Latency ? LatencyObjective : AvailabilityObjective;
}
