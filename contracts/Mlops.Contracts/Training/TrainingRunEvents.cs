namespace Mlops.Contracts.Training;

/// <summary>Event: a training run went through every step and the registry confirmed its model version.</summary>
public sealed record TrainingRunCompleted
{
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }

    /// <summary>Model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Version the registry registered.</summary>
    public required string ModelVersion { get; init; }

    /// <summary>SHA-256 (hex) of the ONNX artifact.</summary>
    public required string ArtifactSha256 { get; init; }
}

/// <summary>Event: a training run stopped at a step.</summary>
public sealed record TrainingRunFailed
{
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }

    /// <summary>Model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Step that failed (e.g. <c>ValidateData</c>).</summary>
    public required string Step { get; init; }

    /// <summary>Why.</summary>
    public required string Reason { get; init; }
}

/// <summary>Event: a training run was cancelled.</summary>
public sealed record TrainingRunCancelled
{
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }

    /// <summary>Model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Step that was running.</summary>
    public required string Step { get; init; }

    /// <summary>Who cancelled it.</summary>
    public required string CancelledBy { get; init; }
}
