namespace Mlops.Inference.Batch;

/// <summary>States of a batch job.</summary>
public static class BatchJobStates
{
    /// <summary>Recorded; its chunks are being handed to the workers.</summary>
    public const string Planning = "planning";

    /// <summary>Every chunk is on the topic; workers score them.</summary>
    public const string Running = "running";

    /// <summary>Every chunk is scored.</summary>
    public const string Succeeded = "succeeded";

    /// <summary>A chunk failed for a reason retrying cannot clear (named in the job's error).</summary>
    public const string Failed = "failed";

    /// <summary>Stopped by a user: the chunks not yet scored are skipped; the rows already written stay.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>True for a state a job never leaves (only its results' retention still applies).</summary>
    public static bool IsFinished(string state) => state is Succeeded or Failed or Cancelled;
}

/// <summary>A batch job as recorded: what it scores with (resolved once, when it was created) and how far it got.</summary>
public sealed record BatchJob
{
    public required string JobId { get; init; }

    public required string ModelName { get; init; }

    /// <summary>The version scored with: the one asked for, or the champion's at creation.</summary>
    public required string ModelVersion { get; init; }

    /// <summary>Content hash of that version's artifact; every worker scores with exactly these bytes.</summary>
    public required string ArtifactSha256 { get; init; }

    /// <summary>The model's inputs in order.</summary>
    public required IReadOnlyList<string> Features { get; init; }

    /// <summary>Feature-set version the model was trained on (null: the shipped set).</summary>
    public string? FeatureSetVersion { get; init; }

    public required string DatasetVersion { get; init; }

    /// <summary>Times every entity is scored at; null when the job scores at label times.</summary>
    public IReadOnlyList<DateTimeOffset>? Times { get; init; }

    /// <summary>The label whose times are scored at; null when the job has explicit times.</summary>
    public string? LabelName { get; init; }

    /// <summary>Kafka topic each result row is also sent to, when set.</summary>
    public string? OutputTopic { get; init; }

    public required string State { get; init; }

    /// <summary>Why the job failed.</summary>
    public string? Error { get; init; }

    public int ChunksTotal { get; init; }

    public int ChunksDone { get; init; }

    /// <summary>Entities of the dataset version the job scores.</summary>
    public int Entities { get; init; }

    /// <summary>Result rows written so far.</summary>
    public long Rows { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>When the job's result rows were deleted, its retention (<see cref="BatchJobOptions.ResultRetention"/>) over.</summary>
    public DateTimeOffset? ResultsExpiredAt { get; init; }
}

/// <summary>One result row: an entity scored at a time.</summary>
public sealed record BatchResultRow(
    string EntityId, DateTimeOffset Time, string? LabelId, double? Probability, double? Uncertainty, string? Error, IReadOnlyDictionary<string, double?> Features);

/// <summary>A chunk as a worker reads it.</summary>
public sealed record BatchChunk(string JobId, int Chunk, IReadOnlyList<string> EntityIds, string State);
