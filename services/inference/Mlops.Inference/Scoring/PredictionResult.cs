namespace Mlops.Inference.Scoring;

/// <summary>One prediction as the service answers it.</summary>
public sealed record PredictionResult(
    string ModelName,
    string ModelVersion,
    double Probability,
    double Uncertainty,
    bool Fallback,
    double LatencyMs,
    Models.Contributions? Contributions = null)
{
    /// <summary>A new GUID v7 per prediction, so labels and monitoring can join on it.</summary>
    public string PredictionId { get; init; } = Guid.CreateVersion7().ToString();

    /// <summary>The deployment alias that answered (e.g. <c>champion</c>; <c>fallback</c> for the rule).</summary>
    public string Variant { get; init; } = "";

    /// <summary>The model's input as scored, in its feature order (what the prediction log keeps).</summary>
    public IReadOnlyList<Mlops.Contracts.Inference.LoggedFeature> Input { get; init; } = [];

    /// <summary>SHA-256 of the artifact that scored; null for the fallback rule.</summary>
    public string? ArtifactSha256 { get; init; }

    /// <summary>When the prediction was made.</summary>
    public DateTimeOffset PredictedAt { get; init; } = DateTimeOffset.UtcNow;
}
