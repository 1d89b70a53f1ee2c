namespace Mlops.Contracts.Ingestion;

/// <summary>A validated, unit-normalised observation (Kafka <c>observations.v1</c>, keyed by entity id).</summary>
[EventType("mlops.ingestion.observation-accepted.v1")]
public sealed record ObservationAccepted
{
    /// <summary>The sender's observation id (also the envelope id, so re-publishing is deduplicated downstream).</summary>
    public required string ObservationId { get; init; }

    /// <summary>Entity id.</summary>
    public required string EntityId { get; init; }

    /// <summary>Entity type from the schema (e.g. <c>patient</c>).</summary>
    public required string EntityType { get; init; }

    /// <summary>Observation code.</summary>
    public required string Code { get; init; }

    /// <summary>Value in the schema's canonical unit; for categorical codes the category's ordinal.</summary>
    public required double Value { get; init; }

    /// <summary>The category, for categorical codes.</summary>
    public string? Category { get; init; }

    /// <summary>The schema's canonical unit.</summary>
    public required string Unit { get; init; }

    /// <summary>When the observation was made.</summary>
    public required DateTimeOffset EventTime { get; init; }

    /// <summary>When ingestion stored it (the time it became known to the platform).</summary>
    public required DateTimeOffset RecordedAt { get; init; }

    /// <summary>
    /// When the source made the value available, if the sender said so (optional, added compatibly); training rows
    /// take the value as known from <c>AvailableTime ?? RecordedAt</c>.
    /// </summary>
    public DateTimeOffset? AvailableTime { get; init; }

    /// <summary>The sending system.</summary>
    public required string SourceSystem { get; init; }

    /// <summary>Position in the raw store (monotonic per store, not a wall clock).</summary>
    public required long Sequence { get; init; }
}
