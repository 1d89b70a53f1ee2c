namespace Mlops.Contracts.Registry;

/// <summary>Event: a rollout's analysis interval elapsed (published by the registry's sweeper from the persisted due time).</summary>
public sealed record RolloutAnalysisDue
{
    public required Guid RolloutId { get; init; }

    /// <summary>Step index (0-based) the analysis belongs to.</summary>
    public required int Step { get; init; }

    /// <summary>Number of the analysis within the rollout (1-based), so a repeated due signal is recognised.</summary>
    public required int Analysis { get; init; }
}

/// <summary>Command: measure the candidate for one analysis of one step.</summary>
public sealed record AnalyseRolloutStep
{
    public required Guid RolloutId { get; init; }

    public required string ModelName { get; init; }

    public required string CandidateVersion { get; init; }

    public required int Step { get; init; }

    public required int TrafficPercent { get; init; }

    public required int Analysis { get; init; }

    public required RolloutThresholds Thresholds { get; init; }

    /// <summary>Cumulative counters read at the previous analysis (empty at the first): measurements cover the interval since.</summary>
    public IReadOnlyDictionary<string, double> Baseline { get; init; } = new Dictionary<string, double>();

    /// <summary>When the rollout started: quality and drift are measured over everything since (labels arrive late).</summary>
    public DateTimeOffset? RolloutStartedAt { get; init; }
}

/// <summary>One measurement of an analysis, with its limit and verdict.</summary>
public sealed record RolloutMeasurement
{
    /// <summary>e.g. <c>error-rate</c>, <c>p99-latency-ms</c>, <c>divergence</c>.</summary>
    public required string Metric { get; init; }

    /// <summary>Measured value; null when it could not be measured.</summary>
    public double? Value { get; init; }

    public required double Threshold { get; init; }

    /// <summary><see cref="RolloutVerdicts"/>: passed, failed or inconclusive (a missing value is never a pass).</summary>
    public required string Verdict { get; init; }

    /// <summary>Where the value came from and what it was computed from (counts, source, window).</summary>
    public required string Evidence { get; init; }
}

/// <summary>Verdicts of measurements and analyses.</summary>
public static class RolloutVerdicts
{
    public const string Passed = "passed";
    public const string Failed = "failed";
    public const string Inconclusive = "inconclusive";
}

/// <summary>Command: promote a rollout's candidate to champion through the registry's promotion path.</summary>
public sealed record PromoteRolloutCandidate
{
    public required Guid RolloutId { get; init; }

    public required string ModelName { get; init; }

    public required string Version { get; init; }

    public required string RequestedBy { get; init; }

    public required string Reason { get; init; }
}

/// <summary>Event: the registry's answer to <see cref="PromoteRolloutCandidate"/>.</summary>
public sealed record RolloutPromotionDecided
{
    public required Guid RolloutId { get; init; }

    public required string ModelName { get; init; }

    public required string Version { get; init; }

    /// <summary><c>Promoted</c>, <c>PendingApproval</c> or <c>Rejected</c>.</summary>
    public required string Status { get; init; }

    public IReadOnlyList<string> Reasons { get; init; } = [];

    public Guid? PromotionId { get; init; }
}
