namespace Mlops.Contracts.Registry;

/// <summary>The model's promotion policy was replaced.</summary>
[EventType("mlops.registry.promotion-policy-changed.v1")]
public sealed record PromotionPolicyChanged
{
    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>The new policy.</summary>
    public required PromotionPolicy Policy { get; init; }

    /// <summary>Who changed it.</summary>
    public required string ChangedBy { get; init; }

    /// <summary>Why.</summary>
    public required string Reason { get; init; }
}
