using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mlops.Inference.Telemetry;

/// <summary>The service's activity source and meter (<c>Mlops.Inference</c>).</summary>
public static class InferenceTelemetry
{
    public const string Name = "Mlops.Inference";

    public static readonly ActivitySource ActivitySource = new(Name);

    static readonly Meter Meter = new(Name);

    /// <summary>
    /// End-to-end latency of one prediction inside the service, tagged by model, version, variant and fallback. Its
    /// buckets are what latency objectives can be held to (monitoring's SLOs, the rollout gate's p99): below a
    /// millisecond as well as the OpenTelemetry defaults, since a model answers in well under the default first bound of 5 ms.
    /// </summary>
    public static readonly Histogram<double> RequestLatency = Meter.CreateHistogram<double>("mlops.inference.request.duration", "ms", "Latency of one prediction",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000] });

    /// <summary>
    /// Predictions a loaded model failed to compute for a valid row (invalid input is the caller's error and not
    /// counted), tagged by model and version; with <see cref="RequestLatency"/>'s count it gives a version's error rate.
    /// </summary>
    public static readonly Counter<long> RequestErrors = Meter.CreateCounter<long>("mlops.inference.request.errors", "{prediction}", "Predictions a model failed to compute");

    /// <summary>
    /// gRPC calls (the Open Inference Protocol's gRPC service) by service, method and gRPC status code — which the
    /// HTTP server metrics cannot tell, a gRPC error being an HTTP 200 (OpenTelemetry's <c>rpc.server.duration</c>).
    /// </summary>
    public static readonly Histogram<double> RpcServerDuration = Meter.CreateHistogram<double>("rpc.server.duration", "ms", "Duration of gRPC calls by status code");

    /// <summary>Rows per model run.</summary>
    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("mlops.inference.batch.size", "{row}", "Rows per model run");

    /// <summary>Time a request waited in the batching queue.</summary>
    public static readonly Histogram<double> QueueDelay = Meter.CreateHistogram<double>("mlops.inference.batch.queue_delay", "ms", "Time waiting for a batch");

    /// <summary>Predictions the rule-based fallback answered.</summary>
    public static readonly Counter<long> Fallbacks = Meter.CreateCounter<long>("mlops.inference.fallbacks", "{prediction}", "Predictions answered by the fallback rule");

    /// <summary>Model loads by outcome.</summary>
    public static readonly Counter<long> ModelLoads = Meter.CreateCounter<long>("mlops.inference.model.loads", "{load}", "Model loads by outcome");

    /// <summary>Feature vectors cached but not scored because features were missing.</summary>
    public static readonly Counter<long> StreamingUnscored = Meter.CreateCounter<long>("mlops.inference.streaming.unscored", "{vector}", "Feature vectors not scored (missing features)");

    /// <summary>Feature vectors cached but not scored because no served model uses their feature-set version.</summary>
    public static readonly Counter<long> StreamingOtherSet = Meter.CreateCounter<long>("mlops.inference.streaming.other_set", "{vector}", "Feature vectors of a feature set no served model uses");

    /// <summary>Feature vectors left to another pod because their entity is assigned a variant this pod does not serve.</summary>
    public static readonly Counter<long> StreamingOtherVariant = Meter.CreateCounter<long>("mlops.inference.streaming.other_variant", "{vector}", "Feature vectors whose entity another pod's variant scores");

    /// <summary>Online feature reads of HTTP predictions by where the vector came from (<c>source</c>: cache, features-service, stale).</summary>
    public static readonly Counter<long> OnlineFeatureReads = Meter.CreateCounter<long>("mlops.inference.online_feature_reads", "{read}", "Online feature reads by source");

    public static KeyValuePair<string, object?>[] VersionTags(Models.LoadedModel model) =>
    [
        new("model.name", model.Deployment.Name),
        new("model.version", model.Deployment.Version),
    ];

    public static KeyValuePair<string, object?>[] ModelTags(string model, string version, string variant, bool fallback) =>
    [
        new("model.name", model),
        new("model.version", version),
        new("model.variant", variant),
        new("fallback", fallback),
    ];

    public static readonly Counter<long> PredictionLogDropped = Meter.CreateCounter<long>("mlops.inference.prediction_log.dropped", "{prediction}", "Predictions not logged: the log's queue was full");

    public static readonly Counter<long> PredictionLogUnconfirmed = Meter.CreateCounter<long>("mlops.inference.prediction_log.unconfirmed", "{prediction}", "Predictions answered before their log entry was confirmed written (the database away longer than the wait)");

    public static readonly Counter<long> PredictionLogWritten = Meter.CreateCounter<long>("mlops.inference.prediction_log.written", "{prediction}", "Predictions written to the prediction log");

    public static readonly Counter<long> PredictionLogRetries = Meter.CreateCounter<long>("mlops.inference.prediction_log.retries", "{attempt}", "Prediction log writes retried (database or broker away)");

    public static readonly Histogram<double> PredictionLogWriteDuration = Meter.CreateHistogram<double>("mlops.inference.prediction_log.write.duration", "ms", "Time to insert one batch of the prediction log");

    public static readonly Counter<long> HttpPredictionsPublished = Meter.CreateCounter<long>("mlops.inference.http_predictions.published", "{prediction}", "HTTP predictions relayed from the prediction log to predictions.v1");

    public static readonly Counter<long> HttpPredictionPublishRetries = Meter.CreateCounter<long>("mlops.inference.http_predictions.publish_retries", "{attempt}", "Relay rounds retried because the database or broker did not answer");

    public static readonly Counter<long> PredictionLogPurged = Meter.CreateCounter<long>("mlops.inference.prediction_log.purged", "{prediction}", "Predictions deleted past the retention");

    public static readonly Counter<long> Replays = Meter.CreateCounter<long>("mlops.inference.replays", "{replay}", "Predictions replayed, by whether the re-score matched");

    public static readonly Counter<long> BatchJobs = Meter.CreateCounter<long>("mlops.inference.batch_jobs", "{job}", "Batch inference jobs planned");

    public static readonly Counter<long> BatchRows = Meter.CreateCounter<long>("mlops.inference.batch_jobs.rows", "{row}", "Rows scored by batch jobs");

    public static readonly Counter<long> BatchChunks = Meter.CreateCounter<long>("mlops.inference.batch_jobs.chunks", "{chunk}", "Batch chunks handled, by outcome");
}
