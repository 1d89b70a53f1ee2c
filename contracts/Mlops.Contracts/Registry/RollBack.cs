namespace Mlops.Contracts.Registry;

/// <summary>Command: point an alias back at the version that held it before (the newest one not archived).</summary>
public sealed record RollBack
{
    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Alias to roll back (usually <c>champion</c>).</summary>
    public string Alias { get; init; } = ModelAliases.Champion;

    /// <summary>Who rolls back.</summary>
    public required string RequestedBy { get; init; }

    /// <summary>Why.</summary>
    public required string Reason { get; init; }
}
