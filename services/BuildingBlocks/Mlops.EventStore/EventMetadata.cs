namespace Mlops.EventStore;

/// <summary>Who caused an append and why; stored next to every event of the append.</summary>
public sealed record EventMetadata
{
    /// <summary>The person or service that caused the change.</summary>
    public string? Actor { get; init; }

    /// <summary>Why the change was made.</summary>
    public string? Reason { get; init; }

    /// <summary>Correlates the events of one business operation across services.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>The message or request that caused the change.</summary>
    public string? CausationId { get; init; }
}
