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

    /// <summary>
    /// The latest "known at" (available time, else recorded time) among the observations the vector was computed
    /// from: a point-in-time computation at <see cref="EventTime"/> as known at this time uses the same observations
    /// (optional, added compatibly; absent from older producers).
    /// </summary>
    public DateTimeOffset? KnownAt { get; init; }

    /// <summary>Ids of the observations in the set's horizon window the vector was computed from (optional, added compatibly).</summary>
    public IReadOnlyList<string>? ObservationIds { get; init; }
}
