using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Features;
using Mlops.Contracts.Inference;
using Mlops.Inference.Scoring;
using Mlops.Inference.Telemetry;

namespace Mlops.Inference.Lineage;

/// <summary>
/// The hot path's side of the prediction log: an entry is put in a bounded in-memory queue and the call returns at
/// once; <see cref="PredictionLogWriter"/> writes the queue to the table and the topic in batches. A full queue (the
/// database or broker down for long) drops the new entry and counts it — a prediction is never failed or delayed for
/// its log entry.
/// </summary>
public sealed class PredictionLog(IOptions<PredictionLogOptions> options)
{
    readonly Channel<PredictionLogged> _queue = Channel.CreateBounded<PredictionLogged>(
        new BoundedChannelOptions(Math.Max(1, options.Value.Capacity)) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    internal ChannelReader<PredictionLogged> Reader => _queue.Reader;

    /// <summary>Entries waiting to be written.</summary>
    public int Pending => _queue.Reader.Count;

    /// <summary>Queues the prediction; false (and counted) when logging is off or the queue is full.</summary>
    public bool Record(PredictionResult result, string? entityId, FeatureVectorUpdated? vector, string source, string? predictionId = null)
    {
        if (!options.Value.Enabled)
        {
            return false;
        }

        var entry = new PredictionLogged
        {
            PredictionId = predictionId ?? result.PredictionId,
            EntityId = entityId,
            ModelName = result.ModelName,
            ModelVersion = result.ModelVersion,
            Variant = result.Variant,
            ArtifactSha256 = result.ArtifactSha256,
            FeatureSetVersion = vector?.FeatureSetVersion,
            Features = result.Input,
            FeatureEventTime = vector?.EventTime,
            FeatureComputedAt = vector?.ComputedAt,
            KnownAt = vector?.KnownAt,
            ObservationIds = vector?.ObservationIds,
            TriggeringObservationId = vector?.TriggeringObservationId,
            Probability = result.Probability,
            Uncertainty = result.Uncertainty,
            Fallback = result.Fallback,
            Source = source,
            TraceId = Activity.Current?.TraceId.ToHexString(),
            PredictedAt = result.PredictedAt,
        };
        if (_queue.Writer.TryWrite(entry))
        {
            return true;
        }

        InferenceTelemetry.PredictionLogDropped.Add(1);
        return false;
    }
}

/// <summary>Where a logged prediction came from.</summary>
public static class PredictionSources
{
    public const string Http = "http";

    /// <summary>The Open Inference Protocol's gRPC service.</summary>
    public const string Grpc = "grpc";

    public const string Stream = "stream";
}
