namespace Mlops.Contracts.Registry;

/// <summary>Event: the registry recorded a new traffic split for a model (a <c>DeploymentChanged</c> follows).</summary>
[EventType("mlops.registry.traffic-split-changed.v1")]
public sealed record TrafficSplitChanged
{
    public required string ModelName { get; init; }

    public required int ChallengerPercent { get; init; }

    public int ShadowPercent { get; init; }

    public required string ChangedBy { get; init; }

    public required string Reason { get; init; }

    public Guid? CorrelationId { get; init; }
}
