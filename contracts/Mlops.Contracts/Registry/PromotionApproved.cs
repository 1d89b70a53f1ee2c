namespace Mlops.Contracts.Registry;

/// <summary>A promotion was approved (by the policy or a person).</summary>
[EventType("mlops.registry.promotion-approved.v1")]
public sealed record PromotionApproved
{
    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Promotion id.</summary>
    public required Guid PromotionId { get; init; }

    /// <summary>Version.</summary>
    public required string Version { get; init; }

    /// <summary>Target alias.</summary>
    public required string Alias { get; init; }

    /// <summary>Who approved (<c>policy</c> when automatic).</summary>
    public required string ApprovedBy { get; init; }

    /// <summary>Why.</summary>
    public required string Reason { get; init; }
}
