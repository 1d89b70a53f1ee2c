namespace Mlops.Contracts.Inference;

/// <summary>
/// The inference service scored an entity (Kafka <c>predictions.v1</c>, keyed by entity id). Emitted for every
/// <c>FeatureVectorUpdated</c> it consumes (the envelope's <c>traceparent</c> continues the feature event's trace) and,
/// relayed from the prediction log, for every prediction answered over HTTP (the envelope id is then the
/// <see cref="PredictionId"/>). Delivery is at least once: consumers deduplicate by <see cref="PredictionId"/>.
/// </summary>
[EventType("mlops.inference.prediction-made.v1")]
public sealed record PredictionMade
{
    /// <summary>Entity id (e.g. the patient id); also the record key. Empty for an HTTP prediction of inline features that named no entity (keyed by its prediction id).</summary>
    public required string EntityId { get; init; }

    /// <summary>Model that answered (the fallback rule's name when <see cref="Fallback"/> is true).</summary>
    public required string ModelName { get; init; }

    /// <summary>Version of that model.</summary>
    public required string ModelVersion { get; init; }

    /// <summary>Predicted probability of the positive outcome (the ensemble mean).</summary>
    public required double Probability { get; init; }

    /// <summary>Standard deviation across the ensemble members; 0 for a single model or the fallback rule.</summary>
    public required double Uncertainty { get; init; }

    /// <summary>True when no model was loaded and the documented rule-based score answered.</summary>
    public required bool Fallback { get; init; }

    /// <summary>Event time of the feature vector scored (not the time of scoring); for inline HTTP features, the time of the prediction.</summary>
    public required DateTimeOffset FeatureEventTime { get; init; }

    /// <summary>Version of the feature definitions that computed the vector; empty for inline HTTP features.</summary>
    public required string FeatureSetVersion { get; init; }

    /// <summary>When the prediction was made.</summary>
    public required DateTimeOffset PredictedAt { get; init; }

    /// <summary>Id of the <c>FeatureVectorUpdated</c> event scored, for lineage.</summary>
    public string? FeatureEventId { get; init; }

    /// <summary>Observation that triggered the feature update, carried through for lineage.</summary>
    public string? TriggeringObservationId { get; init; }

    /// <summary>A GUID v7 naming this prediction (labels and monitoring join on it); absent from older producers.</summary>
    public string? PredictionId { get; init; }

    /// <summary>The deployment alias that answered (e.g. <c>champion</c>; <c>fallback</c> for the rule).</summary>
    public string? Variant { get; init; }

    /// <summary>
    /// The inputs scored, by feature name, when no <see cref="FeatureEventId"/> names a vector on <c>features.v1</c>
    /// (HTTP predictions), so monitoring can judge their feature drift too; null on streaming predictions.
    /// </summary>
    public IReadOnlyDictionary<string, double?>? Features { get; init; }
}
