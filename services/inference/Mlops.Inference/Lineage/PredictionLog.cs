using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Features;
using Mlops.Contracts.Inference;
using Mlops.Inference.Scoring;
using Mlops.Inference.Telemetry;

namespace Mlops.Inference.Lineage;

/// <summary>
/// The hot path's side of the prediction log. An entry goes into a bounded in-memory queue that
/// <see cref="PredictionLogWriter"/> writes to the table in batches (group commit); the caller waits until its entry's
/// batch is in the table, up to <see cref="PredictionLogOptions.WriteWait"/>, so an answered prediction survives the
/// process being killed the next moment — the record an audit or a replay needs, and for a request prediction its
/// outbox entry for <c>predictions.v1</c>. The wait is bounded because a prediction is never failed for its log entry:
/// past it (the database away for long) the answer goes out unconfirmed and counted, the entry stays queued and is
/// written when the database is back; a full queue drops the new entry and counts it.
/// </summary>
public sealed class PredictionLog(IOptions<PredictionLogOptions> options)
{
    readonly Channel<PendingLogEntry> _queue = Channel.CreateBounded<PendingLogEntry>(
        new BoundedChannelOptions(Math.Max(1, options.Value.Capacity)) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    internal ChannelReader<PendingLogEntry> Reader => _queue.Reader;

    /// <summary>Entries waiting to be written.</summary>
    public int Pending => _queue.Reader.Count;

    /// <summary>
    /// Queues the prediction and waits until it is in the table; false (and counted) when logging is off, the queue is
    /// full, or the write was not confirmed within <see cref="PredictionLogOptions.WriteWait"/>.
    /// </summary>
    public ValueTask<bool> RecordAsync(PredictionResult result, string? entityId, FeatureVectorUpdated? vector, string source, string? predictionId = null)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return ValueTask.FromResult(false);
        }

        var written = settings.WriteWait > TimeSpan.Zero ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null;
        if (!_queue.Writer.TryWrite(new PendingLogEntry(Entry(result, entityId, vector, source, predictionId), written)))
        {
            InferenceTelemetry.PredictionLogDropped.Add(1);
            return ValueTask.FromResult(false);
        }

        return written is null ? ValueTask.FromResult(true) : ConfirmedAsync(written.Task, settings.WriteWait);
    }

    static async ValueTask<bool> ConfirmedAsync(Task written, TimeSpan wait)
    {
        try
        {
            await written.WaitAsync(wait);
            return true;
        }
        catch (TimeoutException)
        {
            InferenceTelemetry.PredictionLogUnconfirmed.Add(1);
            return false;
        }
        catch (OperationCanceledException)
        {
            // The writer stopped with the process; the entry was not written.
            InferenceTelemetry.PredictionLogUnconfirmed.Add(1);
            return false;
        }
    }

    static PredictionLogged Entry(PredictionResult result, string? entityId, FeatureVectorUpdated? vector, string source, string? predictionId) => new()
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
}

/// <summary>A queued log entry and, when its caller waits, what the writer completes once the entry is in the table.</summary>
internal sealed record PendingLogEntry(PredictionLogged Entry, TaskCompletionSource? Written);

/// <summary>Where a logged prediction came from.</summary>
public static class PredictionSources
{
    public const string Http = "http";

    /// <summary>The Open Inference Protocol's gRPC service.</summary>
    public const string Grpc = "grpc";

    public const string Stream = "stream";
}
