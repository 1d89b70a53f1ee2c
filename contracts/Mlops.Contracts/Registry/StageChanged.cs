namespace Mlops.Contracts.Registry;

/// <summary>A version moved to another lifecycle stage.</summary>
[EventType("mlops.registry.stage-changed.v1")]
public sealed record StageChanged
{
    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Version.</summary>
    public required string Version { get; init; }

    /// <summary>Stage before.</summary>
    public required string From { get; init; }

    /// <summary>Stage now.</summary>
    public required string To { get; init; }
}
