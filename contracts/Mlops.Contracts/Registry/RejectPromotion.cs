namespace Mlops.Contracts.Registry;

/// <summary>Command: a human rejects a promotion that the policy held for approval.</summary>
public sealed record RejectPromotion
{
    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>The pending promotion.</summary>
    public required Guid PromotionId { get; init; }

    /// <summary>Who rejects.</summary>
    public required string RejectedBy { get; init; }

    /// <summary>Why.</summary>
    public required string Reason { get; init; }
}
