namespace Mlops.Contracts.Monitoring;

/// <summary>
/// What a model version's production data is compared with: a training run's per-feature values and its out-of-sample
/// predictions, each a deterministic, evenly spaced sample capped at <see cref="MaxSample"/> values (missing values left
/// out). The training service serves it as a run artifact; monitoring copies it when the version is registered.
/// </summary>
public sealed record ReferenceProfile
{
    /// <summary>Training run the profile was taken from.</summary>
    public required string TrainingRunId { get; init; }

    /// <summary>Feature-set version the rows were computed with.</summary>
    public required string FeatureSetVersion { get; init; }

    /// <summary>Rows the model was fitted on (before sampling).</summary>
    public required int TrainingRows { get; init; }

    /// <summary>Most values kept per feature and for the predictions.</summary>
    public required int MaxSample { get; init; }

    /// <summary>Feature name → sampled training values, in the model's input order.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<double>> Features { get; init; }

    /// <summary>Sampled predicted probabilities on the held-out test rows.</summary>
    public required IReadOnlyList<double> Predictions { get; init; }
}
