namespace Mlops.Contracts.Registry;

/// <summary>Which versions serve which share of the model's traffic changed (gateway and inference pods follow it).</summary>
[EventType("mlops.registry.deployment-changed.v1")]
public sealed record DeploymentChanged
{
    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Every version serving now with its share; shares add up to 100 (empty: nothing serves).</summary>
    public required IReadOnlyList<TrafficRoute> Routes { get; init; }

    /// <summary>Model revision that produced this deployment (ordering for consumers).</summary>
    public required long Revision { get; init; }
}
