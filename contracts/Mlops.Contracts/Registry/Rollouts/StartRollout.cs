namespace Mlops.Contracts.Registry;

/// <summary>
/// Command: roll <see cref="CandidateVersion"/> (the model's challenger) out in steps: at each step the challenger
/// serves <see cref="Steps"/>[i] percent, one <see cref="AnalysisInterval"/> later its measurements are judged
/// against <see cref="Thresholds"/>; at the end it is promoted to champion.
/// </summary>
public sealed record StartRollout
{
    public required Guid RolloutId { get; init; }

    public required string ModelName { get; init; }

    public required string CandidateVersion { get; init; }

    /// <summary>Challenger traffic per step, rising, each 1–100 (e.g. 10, 50, 100).</summary>
    public required IReadOnlyList<int> Steps { get; init; }

    /// <summary>Time between a step's start (or the previous analysis) and its next analysis.</summary>
    public required TimeSpan AnalysisInterval { get; init; }

    public required RolloutThresholds Thresholds { get; init; }

    /// <summary>Failed analyses a step tolerates; one more rolls the candidate back (0: the first failure does).</summary>
    public required int FailureLimit { get; init; }

    /// <summary>Passed analyses in a row a step needs before the rollout moves on.</summary>
    public required int ConsecutiveSuccesses { get; init; }

    public required string RequestedBy { get; init; }
}

/// <summary>What the candidate must stay within; a null limit is not measured.</summary>
public sealed record RolloutThresholds
{
    /// <summary>Failed predictions over all predictions of the candidate in the interval (0–1).</summary>
    public double? MaxErrorRate { get; init; }

    /// <summary>99th percentile of the candidate's prediction latency in the interval, milliseconds.</summary>
    public double? MaxP99LatencyMs { get; init; }

    /// <summary>Mean absolute probability difference between the candidate and the champion on the same requests.</summary>
    public double? MaxDivergence { get; init; }

    /// <summary>
    /// Largest AUROC the candidate may lose against the champion on their labelled predictions since the rollout started
    /// (delayed labels joined by monitoring; 0.02 = two points).
    /// </summary>
    public double? MaxAurocDrop { get; init; }

    /// <summary>Largest share of features drifted (0–1) in the candidate's newest drift window since the rollout started.</summary>
    public double? MaxDriftShare { get; init; }

    /// <summary>Fewer labelled predictions than this, for the candidate or the champion, make the AUROC drop inconclusive.</summary>
    public long MinLabels { get; init; } = 30;

    /// <summary>Fewer candidate predictions than this in an interval make error rate and latency inconclusive.</summary>
    public long MinRequests { get; init; } = 1;
}
