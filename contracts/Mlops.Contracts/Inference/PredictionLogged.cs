namespace Mlops.Contracts.Inference;

/// <summary>
/// One prediction as the prediction log keeps it (Kafka <c>predictions.log.v1</c>, keyed by entity id, or by
/// prediction id when the request named no entity): what was scored, by which model version, from which observations
/// as known at which time — enough to replay it. Written for every prediction, HTTP and streaming, every variant
/// (shadow included), off the request path.
/// </summary>
[EventType("mlops.inference.prediction-logged.v1")]
public sealed record PredictionLogged
{
    /// <summary>The prediction's id (the HTTP answer's, or the streaming one on <c>predictions.v1</c>).</summary>
    public required string PredictionId { get; init; }

    /// <summary>Entity scored; null for an inline request that named none.</summary>
    public string? EntityId { get; init; }

    /// <summary>Model that answered (the fallback rule's name when <see cref="Fallback"/> is true).</summary>
    public required string ModelName { get; init; }

    /// <summary>Version of that model.</summary>
    public required string ModelVersion { get; init; }

    /// <summary>The deployment alias that answered (champion, challenger, shadow; local or fallback).</summary>
    public required string Variant { get; init; }

    /// <summary>SHA-256 of the artifact that scored (null for the fallback rule).</summary>
    public string? ArtifactSha256 { get; init; }

    /// <summary>Feature-set version of the vector scored; null for features given inline.</summary>
    public string? FeatureSetVersion { get; init; }

    /// <summary>The model's input as scored, in the model's feature order (null: a missing value scored as NaN).</summary>
    public required IReadOnlyList<LoggedFeature> Features { get; init; }

    /// <summary>Event time of the feature vector scored (its "as of"); null for features given inline.</summary>
    public DateTimeOffset? FeatureEventTime { get; init; }

    /// <summary>When the features service computed the vector.</summary>
    public DateTimeOffset? FeatureComputedAt { get; init; }

    /// <summary>The vector's "known at": the latest available-or-recorded time of the observations behind it.</summary>
    public DateTimeOffset? KnownAt { get; init; }

    /// <summary>Ids of the observations behind the vector (those in the set's horizon window).</summary>
    public IReadOnlyList<string>? ObservationIds { get; init; }

    /// <summary>The observation whose arrival computed the vector.</summary>
    public string? TriggeringObservationId { get; init; }

    /// <summary>Predicted probability (ensemble mean).</summary>
    public required double Probability { get; init; }

    /// <summary>Ensemble spread.</summary>
    public required double Uncertainty { get; init; }

    /// <summary>True when the rule-based fallback answered.</summary>
    public required bool Fallback { get; init; }

    /// <summary><c>http</c>, <c>grpc</c> (the Open Inference Protocol over gRPC) or <c>stream</c>.</summary>
    public required string Source { get; init; }

    /// <summary>W3C trace id of the prediction's trace, when traced.</summary>
    public string? TraceId { get; init; }

    /// <summary>When the prediction was made.</summary>
    public required DateTimeOffset PredictedAt { get; init; }
}

/// <summary>One model input: its name and the value scored (null: missing, scored as NaN).</summary>
public sealed record LoggedFeature(string Name, double? Value);
