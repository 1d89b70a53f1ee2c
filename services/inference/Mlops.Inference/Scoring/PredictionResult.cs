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
}
