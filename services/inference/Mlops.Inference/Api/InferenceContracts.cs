namespace Mlops.Inference.Api;

/// <summary>Features given inline; <see cref="EntityId"/> is echoed back when present.</summary>
public sealed record InlinePredictionRequest
{
    public string? EntityId { get; init; }

    public Dictionary<string, double?>? Features { get; init; }
}

/// <summary>Several inline predictions in one call.</summary>
public sealed record BatchPredictionRequest
{
    public List<InlinePredictionRequest>? Items { get; init; }
}

/// <summary>One prediction as the API returns it.</summary>
public sealed record PredictionResponse
{
    /// <summary>A new GUID v7 per prediction (also on <c>predictions.v1</c> when streamed), for joining labels.</summary>
    public required string PredictionId { get; init; }

    /// <summary>The deployment alias that answered (e.g. <c>champion</c>; <c>local</c>, <c>fallback</c>).</summary>
    public required string Variant { get; init; }

    public string? EntityId { get; init; }

    public required double Probability { get; init; }

    /// <summary>Standard deviation across the ensemble members.</summary>
    public required double Uncertainty { get; init; }

    public required string ModelName { get; init; }

    public required string ModelVersion { get; init; }

    /// <summary>True when the rule-based fallback answered (no model loaded).</summary>
    public required bool Fallback { get; init; }

    /// <summary>Time spent inside the service for this prediction.</summary>
    public required double LatencyMs { get; init; }

    /// <summary>Per-feature contributions in log-odds from the model's baseline (when asked for; never for the fallback).</summary>
    public IReadOnlyDictionary<string, double>? Contributions { get; init; }

    /// <summary>Log-odds of the baseline the contributions are measured from.</summary>
    public double? ContributionBaselineLogOdds { get; init; }

    /// <summary>How the contributions were computed: <c>occlusion</c> (from the baseline vector) or <c>tree-path</c> (Saabas).</summary>
    public string? ContributionMethod { get; init; }
}

/// <summary>The answers of a batch, in request order; an item that could not be scored has an error instead.</summary>
public sealed record BatchPredictionResponse(IReadOnlyList<BatchPredictionItem> Items);

/// <summary>One item of a batch answer.</summary>
public sealed record BatchPredictionItem(PredictionResponse? Prediction, string? Error);

/// <summary>Asks the service to hot-swap to a model version.</summary>
public sealed record LoadModelRequest
{
    public string? Name { get; init; }

    public string? Version { get; init; }

    public string? Path { get; init; }

    public string? Sha256 { get; init; }

    public List<string>? Features { get; init; }

    public Dictionary<string, double>? Baseline { get; init; }

    /// <summary>Feature-set version the model was trained on; none: the shipped set (see docs/inference.md).</summary>
    public string? FeatureSetVersion { get; init; }
}

/// <summary>What the pod serves now.</summary>
public sealed record ModelStatusResponse(string State, string? ModelName, string? ModelVersion, string? LastError)
{
    /// <summary>The deployment alias the loaded version serves as (<c>local</c> for a local artifact standing in for the champion).</summary>
    public string? Variant { get; init; }

    /// <summary>On <c>GET /api/inference/models/{name}</c>: every variant this pod holds of the model, champion first.</summary>
    public IReadOnlyList<ModelStatusResponse>? Variants { get; init; }

    /// <summary>The feature-set version whose vectors the loaded version scores (null: the shipped set's).</summary>
    public string? FeatureSetVersion { get; init; }
}
