namespace Mlops.Contracts.Registry;

/// <summary>A promotion was refused by the policy or a person; lists every failed criterion.</summary>
[EventType("mlops.registry.promotion-rejected.v1")]
public sealed record PromotionRejected
{
    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Promotion id.</summary>
    public required Guid PromotionId { get; init; }

    /// <summary>Version.</summary>
    public required string Version { get; init; }

    /// <summary>Target alias.</summary>
    public required string Alias { get; init; }

    /// <summary>Who rejected (<c>policy</c> when automatic).</summary>
    public required string RejectedBy { get; init; }

    /// <summary>Why (the human reason, or a summary).</summary>
    public required string Reason { get; init; }

    /// <summary>Every criterion that failed.</summary>
    public IReadOnlyList<string> FailedCriteria { get; init; } = [];
}
