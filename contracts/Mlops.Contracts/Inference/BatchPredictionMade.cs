namespace Mlops.Contracts.Inference;

/// <summary>
/// One row of a batch-inference job, sent to the job's output topic when it names one (keyed by entity id). The
/// envelope id is derived from (job, entity, time), so a chunk scored again after a crash sends the same ids and a
/// consumer that is idempotent by event id keeps each row once.
/// </summary>
[EventType("mlops.inference.batch-prediction-made.v1")]
public sealed record BatchPredictionMade
{
    /// <summary>The job.</summary>
    public required string JobId { get; init; }

    /// <summary>Entity scored.</summary>
    public required string EntityId { get; init; }

    /// <summary>The time scored at: features as of it, from observations known by it.</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>The label whose time it is, when the job scores at label times.</summary>
    public string? LabelId { get; init; }

    /// <summary>Model scored with.</summary>
    public required string ModelName { get; init; }

    /// <summary>Version of that model (resolved once when the job was created).</summary>
    public required string ModelVersion { get; init; }

    /// <summary>Dataset version the features were computed from.</summary>
    public required string DatasetVersion { get; init; }

    /// <summary>Probability of the positive outcome; null when the row could not be scored (see <see cref="Error"/>).</summary>
    public double? Probability { get; init; }

    /// <summary>Spread across ensemble members; null when not scored.</summary>
    public double? Uncertainty { get; init; }

    /// <summary>Why the row was not scored (e.g. a feature the model needs is missing at that time).</summary>
    public string? Error { get; init; }
}
