namespace Mlops.Contracts.Registry;

/// <summary>
/// Declarative promotion rules of one model. A criterion left null is not checked. A promotion that fails any
/// criterion is refused with every failed criterion listed.
/// </summary>
public sealed record PromotionPolicy
{
    /// <summary>The metric promotions are judged on (in <see cref="ModelMetrics.Overall"/> and subgroups).</summary>
    public string MainMetric { get; init; } = "auroc";

    /// <summary>To become champion, the main metric must be at least the champion's plus this (e.g. 0.005).</summary>
    public double? MinImprovementOverChampion { get; init; }

    /// <summary>Upper bound (exclusive) on <c>p99_latency_ms</c>.</summary>
    public double? MaxP99LatencyMs { get; init; }

    /// <summary>The <c>leakage</c> check must be present and passed.</summary>
    public bool RequireLeakageCheck { get; init; }

    /// <summary>Largest allowed gap of the main metric between the best and the worst subgroup.</summary>
    public double? MaxSubgroupGap { get; init; }

    /// <summary>A human must approve when the main metric moves by more than this fraction of the champion's (e.g. 0.01).</summary>
    public double? HumanApprovalAboveRelativeChange { get; init; }

    /// <summary>Traffic share (percent) routed to the challenger while there is one.</summary>
    public int ChallengerTrafficPercent { get; init; } = 10;
}
