namespace Mlops.Contracts.Registry;

/// <summary>Command (from training): register a new immutable version of a model whose artifact is already stored in the registry.</summary>
public sealed record RegisterModelVersion
{
    /// <summary>Registered model name (lower-case letters, digits, '-', '_', '.').</summary>
    public required string ModelName { get; init; }

    /// <summary>Semantic version, unique per model (e.g. <c>1.4.0</c>).</summary>
    public required string Version { get; init; }

    /// <summary>SHA-256 (hex) of the artifact uploaded to the registry's artifact store.</summary>
    public required string ArtifactSha256 { get; init; }

    /// <summary>Inputs and outputs with feature names.</summary>
    public required ModelSignature Signature { get; init; }

    /// <summary>Evaluation metrics, subgroups, checks and calibration.</summary>
    public required ModelMetrics Metrics { get; init; }

    /// <summary>Dataset version the model was trained on.</summary>
    public required string DatasetVersion { get; init; }

    /// <summary>Feature-set version of its inputs.</summary>
    public required string FeatureSetVersion { get; init; }

    /// <summary>Training run that produced it.</summary>
    public required string TrainingRunId { get; init; }

    /// <summary>Code version (e.g. a git commit).</summary>
    public required string CodeVersion { get; init; }

    /// <summary>Who registers it.</summary>
    public required string RegisteredBy { get; init; }

    /// <summary>What the model is for (model card).</summary>
    public string? IntendedUse { get; init; }

    /// <summary>Known limitations (model card).</summary>
    public string? Limitations { get; init; }

    /// <summary>Free description.</summary>
    public string? Description { get; init; }
}
