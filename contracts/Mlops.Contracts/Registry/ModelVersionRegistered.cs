namespace Mlops.Contracts.Registry;

/// <summary>An immutable model version was registered (stage Development).</summary>
[EventType("mlops.registry.model-version-registered.v1")]
public sealed record ModelVersionRegistered
{
    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Semantic version.</summary>
    public required string Version { get; init; }

    /// <summary>Artifact SHA-256 (hex).</summary>
    public required string ArtifactSha256 { get; init; }

    /// <summary>Inputs and outputs.</summary>
    public required ModelSignature Signature { get; init; }

    /// <summary>Metrics.</summary>
    public required ModelMetrics Metrics { get; init; }

    /// <summary>Dataset version.</summary>
    public required string DatasetVersion { get; init; }

    /// <summary>Feature-set version.</summary>
    public required string FeatureSetVersion { get; init; }

    /// <summary>Training run.</summary>
    public required string TrainingRunId { get; init; }

    /// <summary>Code version.</summary>
    public required string CodeVersion { get; init; }

    /// <summary>Who registered it.</summary>
    public required string RegisteredBy { get; init; }

    /// <summary>Intended use.</summary>
    public string? IntendedUse { get; init; }

    /// <summary>Known limitations.</summary>
    public string? Limitations { get; init; }

    /// <summary>Description.</summary>
    public string? Description { get; init; }
}
