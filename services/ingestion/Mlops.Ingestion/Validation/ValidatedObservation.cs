namespace Mlops.Ingestion.Validation;

/// <summary>An observation that passed validation, normalised to its schema's canonical unit.</summary>
public sealed record ValidatedObservation
{
    /// <summary>Sender's id.</summary>
    public required string ObservationId { get; init; }

    /// <summary>Entity id.</summary>
    public required string EntityId { get; init; }

    /// <summary>Entity type from the schema.</summary>
    public required string EntityType { get; init; }

    /// <summary>Observation code.</summary>
    public required string Code { get; init; }

    /// <summary>Canonical value (ordinal for categories).</summary>
    public required double Value { get; init; }

    /// <summary>Category, for categorical codes.</summary>
    public string? Category { get; init; }

    /// <summary>Canonical unit.</summary>
    public required string Unit { get; init; }

    /// <summary>The value as sent (text), kept for audit.</summary>
    public required string OriginalValue { get; init; }

    /// <summary>The unit as sent.</summary>
    public string? OriginalUnit { get; init; }

    /// <summary>When it was measured.</summary>
    public required DateTimeOffset EventTime { get; init; }

    /// <summary>When the source made the value available, if the sender said so.</summary>
    public DateTimeOffset? AvailableTime { get; init; }

    /// <summary>Sending system.</summary>
    public required string SourceSystem { get; init; }

    /// <summary>
    /// Hash of the observation's content, to tell an identical repeat (acknowledged) from a different
    /// observation reusing an id (refused). The available time joins the hash only when given, so observations sent
    /// without one hash as they always did and their repeats stay duplicates.
    /// </summary>
    public string ContentHash => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
        string.Join('\u001f', EntityId, Code, OriginalValue, OriginalUnit ?? "", EventTime.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture), SourceSystem)
        + (AvailableTime is { } available ? "\u001favailable:" + available.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture) : ""))));
}
