using Mlops.Contracts.Registry;

namespace Mlops.Monitoring.Retraining;

/// <summary>The canary rollout plan sent to the registry for a promoted candidate (<c>Monitoring:Retraining:Rollout</c>).</summary>
public sealed class RetrainingRolloutOptions
{
    public List<int> Steps { get; set; } = [];

    public TimeSpan AnalysisInterval { get; set; } = TimeSpan.FromMinutes(10);

    public double? MaxErrorRate { get; set; }

    public double? MaxP99LatencyMs { get; set; }

    public double? MaxDivergence { get; set; }

    public long MinRequests { get; set; } = 1;

    public int FailureLimit { get; set; }

    public int ConsecutiveSuccesses { get; set; } = 1;

    public RolloutThresholds Thresholds() => new()
    {
        MaxErrorRate = MaxErrorRate, MaxP99LatencyMs = MaxP99LatencyMs, MaxDivergence = MaxDivergence, MinRequests = MinRequests,
    };

    public bool IsValid() =>
        Steps.Count > 0 && Steps.All(s => s is >= 1 and <= 100) && Steps.Zip(Steps.Skip(1)).All(p => p.First < p.Second)
        && AnalysisInterval > TimeSpan.Zero && FailureLimit >= 0 && ConsecutiveSuccesses >= 1 && MinRequests >= 1;
}
