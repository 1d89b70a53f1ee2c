namespace Mlops.Contracts.Registry;

/// <summary>Command: point an alias (e.g. <c>champion</c>) at a version, subject to the model's promotion policy.</summary>
public sealed record RequestPromotion
{
    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Version to promote.</summary>
    public required string Version { get; init; }

    /// <summary>Target alias.</summary>
    public required string Alias { get; init; }

    /// <summary>Who asks.</summary>
    public required string RequestedBy { get; init; }

    /// <summary>Why.</summary>
    public required string Reason { get; init; }

    /// <summary>
    /// The model revision the requester decided on; when given and the model changed since, the request is refused
    /// with a conflict instead of being applied to a state the requester never saw.
    /// </summary>
    public long? ExpectedRevision { get; init; }
}
