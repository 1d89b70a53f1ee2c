using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mlops.Features;

/// <summary>Spans and metrics of the feature service.</summary>
public static class FeaturesTelemetry
{
    /// <summary>Source and meter name.</summary>
    public const string Name = "Mlops.Features";

    /// <summary>Spans of computation, training sets and backfills.</summary>
    public static readonly ActivitySource Source = new(Name);

    static readonly Meter Meter = new(Name);

    /// <summary>Vectors computed by streaming (tag <c>late</c>: the observation was older than the entity's newest).</summary>
    public static readonly Counter<long> Computed = Meter.CreateCounter<long>("mlops.features.vectors_computed", "{vector}");

    /// <summary>Entity windows a streamed batch computed from, by where they came from (<c>source</c>: cache, database).</summary>
    public static readonly Counter<long> WindowReads = Meter.CreateCounter<long>("mlops.features.window_reads", "{entity}");

    /// <summary>Time to store an observation and compute the entity's vector.</summary>
    public static readonly Histogram<double> ComputeDuration = Meter.CreateHistogram<double>("mlops.features.compute.duration", "ms");

    /// <summary>Online store reads.</summary>
    public static readonly Counter<long> OnlineReads = Meter.CreateCounter<long>("mlops.features.online_reads", "{read}");

    /// <summary>Online reads by whether the replica's cache answered (tag <c>hit</c>) or PostgreSQL did.</summary>
    public static readonly Counter<long> OnlineCacheLookups = Meter.CreateCounter<long>("mlops.features.online_cache.lookups", "{read}");

    /// <summary>Notifications of committed online vectors (from any replica) that made a cached vector stale.</summary>
    public static readonly Counter<long> OnlineCacheInvalidations = Meter.CreateCounter<long>("mlops.features.online_cache.invalidations", "{notification}");

    /// <summary>Vectors dropped from the online cache to keep it within its size limit.</summary>
    public static readonly Counter<long> OnlineCacheEvictions = Meter.CreateCounter<long>("mlops.features.online_cache.evictions", "{vector}");

    /// <summary>Estimated memory held by the online cache.</summary>
    public static readonly UpDownCounter<long> OnlineCacheBytes = Meter.CreateUpDownCounter<long>("mlops.features.online_cache.size", "By");

    public static readonly UpDownCounter<long> OnlineCacheEntries = Meter.CreateUpDownCounter<long>("mlops.features.online_cache.entries", "{entry}");

    /// <summary>Training rows produced.</summary>
    public static readonly Counter<long> TrainingRows = Meter.CreateCounter<long>("mlops.features.training_rows", "{row}");

    /// <summary>Point-in-time vectors computed for one entity and time (prediction replays).</summary>
    public static readonly Counter<long> PointInTimeVectors = Meter.CreateCounter<long>("mlops.features.point_in_time_vectors", "{vector}");

    /// <summary>Labels taken over HTTP and published on the labels topic.</summary>
    public static readonly Counter<long> LabelsPublished = Meter.CreateCounter<long>("mlops.features.labels_published", "{label}");

    /// <summary>Publishing rounds that failed and will be retried.</summary>
    public static readonly Counter<long> LabelPublishFailures = Meter.CreateCounter<long>("mlops.features.label_publish_failures", "{round}");
}
