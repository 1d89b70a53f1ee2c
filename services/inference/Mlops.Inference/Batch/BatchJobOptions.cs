using Mlops.Contracts.Kafka;

namespace Mlops.Inference.Batch;

/// <summary>Batch inference over dataset versions (configuration section <c>Inference:BatchJobs</c>).</summary>
public sealed class BatchJobOptions
{
    public const string Section = "Inference:BatchJobs";

    /// <summary>Off: this replica neither plans nor scores chunks (the API answers 404 for jobs it cannot see either way).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Topic of the chunk records; its partitions are how a job's work spreads over the replicas.</summary>
    public string Topic { get; set; } = Topics.BatchChunks;

    /// <summary>The group every replica consumes chunks in (one group: each chunk is scored by one replica).</summary>
    public string ConsumerGroup { get; set; } = "inference-batch";

    /// <summary>Partitions the chunk topic is created with when it does not exist yet.</summary>
    public int Partitions { get; set; } = 3;

    /// <summary>Entities per chunk: the unit of redelivery after a crash, and at most what the features service answers per request (1000).</summary>
    public int EntitiesPerChunk { get; set; } = 100;

    /// <summary>Rows scored by one model call and written in one transaction.</summary>
    public int ScoreBatchSize { get; set; } = 256;

    /// <summary>Most times one job may score each entity at.</summary>
    public int MaxTimes { get; set; } = 1000;

    /// <summary>
    /// Every output topic a job may name starts with this, so a job's rows can never be written into the platform's own
    /// topics (observations, features, predictions) by whoever may start a job.
    /// </summary>
    public string OutputTopicPrefix { get; set; } = "batch-predictions.";

    /// <summary>The label whose times a job with <c>labelTimes: true</c> scores at, when the request names none.</summary>
    public string LabelName { get; set; } = "deterioration_24h";

    /// <summary>
    /// How often a replica looks for jobs left in planning by a planner that died (it looks at start too); a job whose
    /// planner is alive holds its planning lock and is left alone.
    /// </summary>
    public TimeSpan ResumeInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a finished job's result rows are kept, counted from when it finished; then they are deleted and the job
    /// (which stays, for its lineage) says when. Checked every <see cref="ResumeInterval"/>, or every quarter of the
    /// retention when that is shorter, so a short retention is kept to closely too.
    /// </summary>
    public TimeSpan ResultRetention { get; set; } = TimeSpan.FromDays(30);
}
