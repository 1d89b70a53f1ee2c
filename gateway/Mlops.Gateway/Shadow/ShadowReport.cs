namespace Mlops.Gateway.Shadow;

/// <summary>How a model's shadow compares with what served (<c>GET /api/gateway/shadow/{model}</c>).</summary>
public sealed record ShadowReport
{
    public required string ModelName { get; init; }

    /// <summary>Probability at or above which a prediction counts as positive for <see cref="ShadowPairReport.Agreement"/>.</summary>
    public required double DecisionThreshold { get; init; }

    /// <summary>The shadow route now (version and mirrored share); null when the model has none.</summary>
    public ShadowRouteReport? Shadow { get; init; }

    /// <summary>Mirrors put on the queue.</summary>
    public required long Queued { get; init; }

    /// <summary>Mirrors dropped because the queue was full.</summary>
    public required long Dropped { get; init; }

    /// <summary>Mirrors the shadow did not answer successfully (error status, timeout, no destination).</summary>
    public required long Failed { get; init; }

    /// <summary>Mirrors whose answers could not be paired (no probability, different row counts).</summary>
    public required long Uncomparable { get; init; }

    /// <summary>One entry per (serving variant, its version, shadow version).</summary>
    public required IReadOnlyList<ShadowPairReport> Pairs { get; init; }
}

public sealed record ShadowRouteReport(string Version, int MirrorPercent);

/// <summary>The comparison of one serving version with one shadow version.</summary>
public sealed record ShadowPairReport
{
    public required string PrimaryVariant { get; init; }

    public required string PrimaryVersion { get; init; }

    public required string ShadowVersion { get; init; }

    /// <summary>Mirrored requests compared.</summary>
    public required long Requests { get; init; }

    /// <summary>Predictions compared (a batch or an OIP request with N rows gives N).</summary>
    public required long Predictions { get; init; }

    /// <summary>Share of predictions on the same side of the decision threshold (null: none compared).</summary>
    public double? Agreement { get; init; }

    public double? MeanAbsoluteDifference { get; init; }

    /// <summary>99th percentile of the absolute probability difference (to 0.0001).</summary>
    public double? P99AbsoluteDifference { get; init; }

    public required LatencySummary PrimaryLatencyMs { get; init; }

    public required LatencySummary ShadowLatencyMs { get; init; }
}

/// <summary>Latency in milliseconds: mean over all requests; p50 and p99 over the most recent ones.</summary>
public sealed record LatencySummary(double Mean, double P50, double P99)
{
    public static LatencySummary Of(ReadOnlySpan<double> samples, double mean)
    {
        if (samples.IsEmpty)
        {
            return new LatencySummary(0, 0, 0);
        }

        var sorted = samples.ToArray();
        Array.Sort(sorted);
        return new LatencySummary(mean, Rank(sorted, 0.50), Rank(sorted, 0.99));
    }

    static double Rank(double[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
