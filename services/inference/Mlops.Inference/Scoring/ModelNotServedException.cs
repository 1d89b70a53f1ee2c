namespace Mlops.Inference.Scoring;

/// <summary>A prediction was asked of a model this pod does not serve (not deployed, not loaded, or filtered out).</summary>
public sealed class ModelNotServedException(string model)
    : Exception($"Model '{model}' is not served by this pod (not deployed in the registry, not loaded yet, or not in Inference:Models).")
{
    public string Model { get; } = model;
}
