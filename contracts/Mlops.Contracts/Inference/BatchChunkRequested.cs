namespace Mlops.Contracts.Inference;

/// <summary>
/// One chunk of a batch-inference job to score (Kafka <c>inference.batch-chunks.v1</c>, keyed by job and chunk). The
/// record names the work only; what to score it with (model version, artifact, dataset version, times) is the job's,
/// recorded once in the inference service's database, so a redelivered chunk is scored exactly as the first time.
/// </summary>
[EventType("mlops.inference.batch-chunk-requested.v1")]
public sealed record BatchChunkRequested
{
    /// <summary>The job.</summary>
    public required string JobId { get; init; }

    /// <summary>The chunk's number within the job, from 0.</summary>
    public required int Chunk { get; init; }
}
