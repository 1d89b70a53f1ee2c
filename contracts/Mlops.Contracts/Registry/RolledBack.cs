namespace Mlops.Contracts.Registry;

/// <summary>An alias was pointed back at an earlier version.</summary>
[EventType("mlops.registry.rolled-back.v1")]
public sealed record RolledBack
{
    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Alias.</summary>
    public required string Alias { get; init; }

    /// <summary>Version it pointed at.</summary>
    public required string FromVersion { get; init; }

    /// <summary>Version it points at now.</summary>
    public required string ToVersion { get; init; }

    /// <summary>Who rolled back.</summary>
    public required string RequestedBy { get; init; }

    /// <summary>Why.</summary>
    public required string Reason { get; init; }
}
