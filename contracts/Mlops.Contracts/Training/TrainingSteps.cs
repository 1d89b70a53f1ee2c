namespace Mlops.Contracts.Training;

/// <summary>The training pipeline's steps, in order.</summary>
public static class TrainingSteps
{
    /// <summary>Schema, class balance, missing rates, feature-set version and label times.</summary>
    public const string ValidateData = nameof(ValidateData);

    /// <summary>The validated rows as a feature matrix in a fixed column order.</summary>
    public const string BuildTrainingSet = nameof(BuildTrainingSet);

    /// <summary>Time-based train/test split.</summary>
    public const string Split = nameof(Split);

    /// <summary>Fit (with hyperparameter search when asked).</summary>
    public const string Train = nameof(Train);

    /// <summary>Metrics on the held-out (later) rows.</summary>
    public const string Evaluate = nameof(Evaluate);

    /// <summary>ONNX export.</summary>
    public const string Export = nameof(Export);

    /// <summary>The export scored by ONNX Runtime matches the model.</summary>
    public const string Verify = nameof(Verify);

    /// <summary>Artifact uploaded and <c>RegisterModelVersion</c> sent; the run completes when the registry confirms it.</summary>
    public const string Register = nameof(Register);

    /// <summary>Every step in order.</summary>
    public static readonly IReadOnlyList<string> All = [ValidateData, BuildTrainingSet, Split, Train, Evaluate, Export, Verify, Register];
}

/// <summary>Command (training-internal): run one step of a run's pipeline.</summary>
public sealed record ExecuteTrainingStep
{
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }

    /// <summary>One of <see cref="TrainingSteps"/>.</summary>
    public required string Step { get; init; }

    /// <summary>The run's request.</summary>
    public required StartTrainingRun Request { get; init; }
}

/// <summary>Event (training-internal): a step finished.</summary>
public sealed record TrainingStepCompleted
{
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }

    /// <summary>The step.</summary>
    public required string Step { get; init; }

    /// <summary>SHA-256 of the model artifact, once exported.</summary>
    public string? ArtifactSha256 { get; init; }
}

/// <summary>Event (training-internal): a step failed for a reason that a retry cannot fix.</summary>
public sealed record TrainingStepFailed
{
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }

    /// <summary>The step.</summary>
    public required string Step { get; init; }

    /// <summary>Why.</summary>
    public required string Reason { get; init; }
}

/// <summary>
/// Event (training-internal): the registry answered a run's <c>RegisterModelVersion</c> neither way within the
/// confirmation timeout (published by the training service's registration sweeper).
/// </summary>
public sealed record TrainingRegistrationTimedOut
{
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }

    /// <summary>How long the run waited.</summary>
    public required TimeSpan Waited { get; init; }
}
