using Mlops.Contracts.Kafka;

namespace Mlops.Inference.Lineage;

/// <summary>The prediction log (configuration section <c>Inference:PredictionLog</c>; docs/lineage.md).</summary>
public sealed class PredictionLogOptions
{
    public const string Section = "Inference:PredictionLog";

    /// <summary>Off: nothing is logged and replay finds nothing (a benchmark's baseline, a pod that must not keep inputs).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Topic every logged prediction is also published to, keyed by entity.</summary>
    public string Topic { get; set; } = Topics.PredictionLog;

    /// <summary>How long a prediction is kept in the table; older rows are purged.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How often the purge runs.</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Predictions held in memory while the database or broker is slow or down; beyond it new entries are dropped and
    /// counted (<c>mlops.inference.prediction_log.dropped</c>), never making a prediction wait.
    /// </summary>
    public int Capacity { get; set; } = 200_000;

    /// <summary>Most predictions written in one statement.</summary>
    public int BatchSize { get; set; } = 1_000;

    /// <summary>Most logged HTTP predictions one relay round claims and publishes on <c>predictions.v1</c>.</summary>
    public int PublishBatchSize { get; set; } = 500;

    /// <summary>
    /// How often the relay looks for HTTP predictions still to publish when nothing nudged it: rows another replica
    /// wrote, or left pending by a process that stopped between the insert and the publication.
    /// </summary>
    public TimeSpan PublishPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a prediction waits for its log entry to be in the table before it is answered anyway (unconfirmed,
    /// counted). Zero: no wait — faster, but what is still queued when the process dies is lost.
    /// </summary>
    public TimeSpan WriteWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Inserted batches waiting for their copy on the log topic; the writer pauses inserting beyond it.</summary>
    public int PublishQueue { get; set; } = 64;

    /// <summary>Longest pause between attempts while the database or broker does not answer.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);
}
