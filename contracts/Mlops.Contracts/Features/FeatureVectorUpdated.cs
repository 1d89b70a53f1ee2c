namespace Mlops.Contracts.Features;

/// <summary>
/// The latest feature vector of one entity changed (Kafka <c>features.v1</c>, keyed by entity id). Carries the
/// whole vector, not a delta, so a consumer that sees only the newest record per entity is never stale.
/// </summary>
[EventType("mlops.features.vector-updated.v1")]
public sealed record FeatureVectorUpdated
{
    /// <summary>Entity id (e.g. the patient id); also the record key.</summary>
    public required string EntityId { get; init; }

    /// <summary>Entity type from the feature definitions (e.g. <c>patient</c>).</summary>
    public required string EntityType { get; init; }

    /// <summary>Version of the feature definition set that computed the vector.</summary>
    public required string FeatureSetVersion { get; init; }

    /// <summary>Feature name → value; null where the feature has no value yet (e.g. no observation in its window).</summary>
    public required IReadOnlyDictionary<string, double?> Values { get; init; }

    /// <summary>Event time the vector is valid at: the newest observation time it includes.</summary>
    public required DateTimeOffset EventTime { get; init; }

    /// <summary>When the platform computed the vector (the time it became known).</summary>
    public required DateTimeOffset ComputedAt { get; init; }

    /// <summary>Observation that caused this update, for lineage from prediction back to raw data.</summary>
    public string? TriggeringObservationId { get; init; }
}
