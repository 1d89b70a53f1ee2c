namespace Mlops.Contracts.Registry;

/// <summary>A version was retired; it can no longer be promoted.</summary>
[EventType("mlops.registry.version-archived.v1")]
public sealed record VersionArchived
{
    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Version.</summary>
    public required string Version { get; init; }

    /// <summary>Who archived it.</summary>
    public required string ArchivedBy { get; init; }

    /// <summary>Why.</summary>
    public required string Reason { get; init; }
}
