namespace Mlops.Contracts.Ingestion;

/// <summary>An observation ingestion refused (Kafka <c>observations.rejected.v1</c>), with every reason.</summary>
[EventType("mlops.ingestion.observation-rejected.v1")]
public sealed record ObservationRejected
{
    /// <summary>The observation id, when the record had one.</summary>
    public string? ObservationId { get; init; }

    /// <summary>The entity id, when the record had one.</summary>
    public string? EntityId { get; init; }

    /// <summary>The sending system, when known.</summary>
    public string? SourceSystem { get; init; }

    /// <summary>Every problem found, each naming its field.</summary>
    public required IReadOnlyList<FieldError> Errors { get; init; }

    /// <summary>The record as received.</summary>
    public required string Original { get; init; }

    /// <summary>When it was refused.</summary>
    public required DateTimeOffset RejectedAt { get; init; }
}

/// <summary>One validation problem.</summary>
/// <param name="Field">The field (camelCase, as in the JSON).</param>
/// <param name="Message">What is wrong with it.</param>
public sealed record FieldError(string Field, string Message);
