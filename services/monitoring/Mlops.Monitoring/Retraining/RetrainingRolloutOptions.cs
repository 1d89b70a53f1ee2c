using Mlops.Contracts.Registry;

namespace Mlops.Monitoring.Retraining;

/// <summary>The canary rollout plan sent to the registry for a promoted candidate (<c>Monitoring:Retraining:Rollout</c>).</summary>
public sealed class RetrainingRolloutOptions
{
    public List<int> Steps { get; set; } = [];

    public TimeSpan AnalysisInterval { get; set; } = TimeSpan.FromMinutes(10);

    public double? MaxErrorRate { get; set; }

    public double? MaxP99LatencyMs { get; set; }

    /// <summary>Divergence from the champion: the rollout mirrors its candidate as the shadow while it runs (docs/rollouts.md). Not shipped.</summary>
    public double? MaxDivergence { get; set; }

    /// <summary>Quality gate on delayed labels (docs/rollouts.md, <c>auroc-drop</c>): inconclusive, so pausing, until labels arrive.</summary>
    public double? MaxAurocDrop { get; set; }

    /// <summary>Drift gate (<c>drift-share</c>): inconclusive, so pausing, until a drift window of the candidate is judged.</summary>
    public double? MaxDriftShare { get; set; }

    public long MinRequests { get; set; } = 1;

    public long MinLabels { get; set; } = 30;

    public int FailureLimit { get; set; }

    public int ConsecutiveSuccesses { get; set; } = 1;

    public RolloutThresholds Thresholds() => new()
    {
        MaxErrorRate = MaxErrorRate, MaxP99LatencyMs = MaxP99LatencyMs, MaxDivergence = MaxDivergence, MaxAurocDrop = MaxAurocDrop,
        MaxDriftShare = MaxDriftShare, MinRequests = MinRequests, MinLabels = MinLabels,
    };

    public bool IsValid() =>
        Steps.Count > 0 && Steps.All(s => s is >= 1 and <= 100) && Steps.Zip(Steps.Skip(1)).All(p => p.First < p.Second)
        && AnalysisInterval > TimeSpan.Zero && FailureLimit >= 0 && ConsecutiveSuccesses >= 1 && MinRequests >= 1 && MinLabels >= 1
        && MaxAurocDrop is null or (>= 0 and <= 1) && MaxDriftShare is null or (>= 0 and <= 1);
}
