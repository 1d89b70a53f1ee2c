namespace Mlops.Contracts.Registry;

/// <summary>An alias now points at a version (or at nothing when Version is null).</summary>
[EventType("mlops.registry.alias-assigned.v1")]
public sealed record AliasAssigned
{
    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Alias.</summary>
    public required string Alias { get; init; }

    /// <summary>Version it points at now; null when the alias was removed.</summary>
    public string? Version { get; init; }

    /// <summary>Version it pointed at before.</summary>
    public string? PreviousVersion { get; init; }
}
