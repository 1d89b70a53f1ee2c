namespace Mlops.Contracts.Registry;

/// <summary>Someone asked to point an alias at a version.</summary>
[EventType("mlops.registry.promotion-requested.v1")]
public sealed record PromotionRequested
{
    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Promotion id.</summary>
    public required Guid PromotionId { get; init; }

    /// <summary>Version to promote.</summary>
    public required string Version { get; init; }

    /// <summary>Target alias.</summary>
    public required string Alias { get; init; }

    /// <summary>Who asked.</summary>
    public required string RequestedBy { get; init; }

    /// <summary>Why.</summary>
    public required string Reason { get; init; }

    /// <summary>The policy passed but a human must approve (the main metric moved too much).</summary>
    public bool RequiresApproval { get; init; }
}
