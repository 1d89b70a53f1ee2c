namespace Mlops.Inference.Scoring;

/// <summary>One prediction as the service answers it.</summary>
public sealed record PredictionResult(
    string ModelName,
    string ModelVersion,
    double Probability,
    double Uncertainty,
    bool Fallback,
    double LatencyMs,
    Models.Contributions? Contributions = null);
