namespace Mlops.Contracts.Kafka;

/// <summary>Kafka topic names. A breaking change to a topic's payload is a new topic version, consumed side by side.</summary>
public static class Topics
{
    /// <summary>Observations as upstream systems publish them, not yet validated.</summary>
    public const string ObservationsRaw = "observations.raw.v1";

    /// <summary>Validated, unit-normalised observations.</summary>
    public const string Observations = "observations.v1";

    /// <summary>Observations refused by ingestion, with the reason.</summary>
    public const string ObservationsRejected = "observations.rejected.v1";

    /// <summary>Feature vector updates per entity.</summary>
    public const string Features = "features.v1";

    /// <summary>Outcomes (labels) with their event time.</summary>
    public const string Labels = "labels.v1";

    /// <summary>Predictions per entity with model version and uncertainty.</summary>
    public const string Predictions = "predictions.v1";

    /// <summary>Every prediction made (HTTP and streaming, every variant) with the inputs and lineage behind it.</summary>
    public const string PredictionLog = "predictions.log.v1";

    /// <summary>
    /// Chunks of batch-inference jobs (a few entities of a dataset version each), consumed by every inference replica
    /// in one group so the partitions spread a job's work over the replicas.
    /// </summary>
    public const string BatchChunks = "inference.batch-chunks.v1";

    /// <summary>Default dead-letter topic for records a consumer gave up on.</summary>
    public const string DeadLetter = "platform.deadletter.v1";
}
