using System.Text.Json.Nodes;

namespace Mlops.Training.Tracking;

/// <summary>One tracked run (a pipeline run, or a search trial as its child).</summary>
public sealed record RunRecord
{
    public required Guid RunId { get; init; }
    public Guid? ParentRunId { get; init; }
    public required string Name { get; init; }
    public required string ModelName { get; init; }
    public required string Algorithm { get; init; }
    public required string Status { get; init; }
    public string? CurrentStep { get; init; }
    public required JsonNode Parameters { get; init; }
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }
    public string? DatasetVersion { get; init; }
    public string? FeatureSetVersion { get; init; }
    public string? TrainingSetSha256 { get; init; }
    public string? CodeVersion { get; init; }
    public int Seed { get; init; }
    public string? Machine { get; init; }
    public string? RequestedBy { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public double? DurationMs { get; init; }
    public string? FailedStep { get; init; }
    public string? FailureReason { get; init; }
    public IReadOnlyList<ArtifactInfo> Artifacts { get; init; } = [];
    public IReadOnlyList<Guid> ChildRunIds { get; init; } = [];

    /// <summary>The pipeline steps in the order they started (empty for search trials, which run inside Train).</summary>
    public IReadOnlyList<RunStep> Steps { get; init; } = [];
}

/// <summary>
/// One pipeline step of a run: its latest attempt's start and end (a redelivered or retried step starts again, counted in
/// <see cref="Attempts"/>) and how it ended: Running, Completed, Failed or Cancelled.
/// </summary>
public sealed record RunStep(string Step, string Status, int Attempts, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, double? DurationMs);

/// <summary>An artifact's address and size (the bytes are fetched separately).</summary>
public sealed record ArtifactInfo(string Name, string ContentType, string Sha256, long Size);

/// <summary>An artifact with its bytes.</summary>
public sealed record StoredArtifact(ArtifactInfo Info, byte[] Content);

/// <summary>Run statuses.</summary>
public static class RunStatus
{
    public const string Pending = nameof(Pending);
    public const string Running = nameof(Running);
    public const string Completed = nameof(Completed);
    public const string Failed = nameof(Failed);
    public const string Cancelled = nameof(Cancelled);
}

/// <summary>Builds run records.</summary>
public static class RunRecords
{
    static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>The pipeline run a start command describes (parameters = the whole request).</summary>
    public static RunRecord FromRequest(Mlops.Contracts.Training.StartTrainingRun request, string codeVersion) => new()
    {
        RunId = request.RunId,
        Name = $"{request.ModelName}-{request.Algorithm}",
        ModelName = request.ModelName,
        Algorithm = request.Algorithm,
        Status = RunStatus.Pending,
        Parameters = System.Text.Json.JsonSerializer.SerializeToNode(request, Json) ?? new JsonObject(),
        Metrics = new Dictionary<string, double>(),
        DatasetVersion = request.DatasetVersion,
        FeatureSetVersion = request.FeatureSetVersion,
        CodeVersion = codeVersion,
        Seed = request.Seed,
        Machine = Environment.MachineName,
        RequestedBy = request.RequestedBy,
        StartedAt = DateTimeOffset.UtcNow,
    };
}
