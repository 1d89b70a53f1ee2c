namespace Mlops.Contracts.Registry;

/// <summary>Command: a human approves a promotion that the policy held for approval.</summary>
public sealed record ApprovePromotion
{
    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>The pending promotion.</summary>
    public required Guid PromotionId { get; init; }

    /// <summary>Who approves.</summary>
    public required string ApprovedBy { get; init; }

    /// <summary>Why.</summary>
    public required string Reason { get; init; }
}
