using System.Globalization;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Inference;
using Mlops.Contracts.Kafka;
using Mlops.Inference.Deployments;
using Mlops.Inference.Lineage;
using Mlops.Inference.Models;
using Mlops.Inference.Scoring;
using Mlops.Inference.Telemetry;
using Mlops.Kafka;
using Mlops.Kafka.Consuming;
using Mlops.Kafka.Producing;
using Mlops.ServiceDefaults.Resilience;

namespace Mlops.Inference.Batch;

/// <summary>
/// Scores one chunk of a batch job: the chunk's vectors from the features service (computed from the job's dataset
/// version, point in time), scored in batches with exactly the job's model version (by artifact hash), each batch
/// written at once (<c>ON CONFLICT DO NOTHING</c>) and, when the job names an output topic, sent with an event id
/// derived from (job, entity, time); the chunk is marked done last, before the consumer commits its offset. A worker
/// killed mid-chunk leaves the record uncommitted: another (or the same, restarted) scores the chunk again and adds
/// only the rows that are missing. A dependency that does not answer throws (the consumer pauses and retries); any
/// other failure is deterministic and fails the job with the reason. A job cancelled is skipped: its chunks not yet
/// started are committed unscored, and a chunk being scored stops after its current score batch.
/// </summary>
public sealed class BatchChunkHandler(
    BatchJobStore store, DatasetVectorsClient features, ReplayModels models, IEventProducer producer, PodIdentity pod,
    IOptions<BatchJobOptions> options, ILogger<BatchChunkHandler> logger) : IKafkaEventHandler<BatchChunkRequested>
{
    public async Task HandleAsync(EventEnvelope<BatchChunkRequested> envelope, KafkaMessageContext context, CancellationToken cancellationToken)
    {
        var request = envelope.Data;
        using var activity = InferenceTelemetry.ActivitySource.StartActivity("score batch chunk");
        activity?.SetTag("mlops.batch.job", request.JobId);
        activity?.SetTag("mlops.batch.chunk", request.Chunk);
        var chunk = await store.StartChunkAsync(request.JobId, request.Chunk, pod.Id, cancellationToken)
            ?? throw new RejectEventException($"no chunk {request.Chunk} of batch job '{request.JobId}'");
        var job = await store.FindAsync(request.JobId, cancellationToken, countRows: false)
            ?? throw new RejectEventException($"no batch job '{request.JobId}'");
        if (chunk.State == "done" || job.State is BatchJobStates.Failed or BatchJobStates.Cancelled)
        {
            InferenceTelemetry.BatchChunks.Add(1, new KeyValuePair<string, object?>("outcome", "skipped"));
            return;
        }

        try
        {
            var rows = await ScoreAsync(job, chunk, cancellationToken);
            if (rows < 0)
            {
                // Cancelled while this chunk was scored: the rows written stay, the chunk is left undone.
                InferenceTelemetry.BatchChunks.Add(1, new KeyValuePair<string, object?>("outcome", "skipped"));
                logger.LogInformation("Batch job {Job} cancelled while chunk {Chunk} was scored; the chunk stops", job.JobId, chunk.Chunk);
                return;
            }

            await store.CompleteChunkAsync(job.JobId, chunk.Chunk, cancellationToken);
            InferenceTelemetry.BatchChunks.Add(1, new KeyValuePair<string, object?>("outcome", "done"));
            logger.LogInformation("Batch job {Job} chunk {Chunk}: {Rows} rows scored", job.JobId, chunk.Chunk, rows);
        }
        catch (Exception ex) when (!TransientFailure.Is(ex, cancellationToken) && ex is not OperationCanceledException)
        {
            // Scoring the same chunk again would fail the same way: the job fails with the reason, the record is done.
            var reason = $"chunk {chunk.Chunk}: {ex.Message}";
            await store.FailAsync(job.JobId, reason, cancellationToken);
            InferenceTelemetry.BatchChunks.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
            logger.LogError(ex, "Batch job {Job} failed at chunk {Chunk}", job.JobId, chunk.Chunk);
        }
    }

    /// <summary>Scores the chunk; the rows written, or -1 when the job was cancelled part-way.</summary>
    async Task<int> ScoreAsync(BatchJob job, BatchChunk chunk, CancellationToken cancellationToken)
    {
        var model = await models.LeaseAsync(job.ModelName, job.ModelVersion, job.ArtifactSha256, job.Features, cancellationToken);
        try
        {
            var size = options.Value.ScoreBatchSize;
            var pending = new List<DatasetVector>(size);
            var rows = 0;
            await foreach (var vector in features.VectorsAsync(job.DatasetVersion, job.FeatureSetVersion, chunk.EntityIds, job.Times, job.LabelName, job.Features, cancellationToken))
            {
                pending.Add(vector);
                if (pending.Count == size)
                {
                    rows += await ScoreBatchAsync(job, model, pending, cancellationToken);
                    pending.Clear();

                    // A cancel takes effect between score batches: one indexed read per batch, not per row.
                    if (await store.StateAsync(job.JobId, cancellationToken) == BatchJobStates.Cancelled)
                    {
                        return -1;
                    }
                }
            }

            if (pending.Count > 0)
            {
                rows += await ScoreBatchAsync(job, model, pending, cancellationToken);
            }

            return rows;
        }
        finally
        {
            model.Release();
        }
    }

    async Task<int> ScoreBatchAsync(BatchJob job, LoadedModel model, List<DatasetVector> vectors, CancellationToken cancellationToken)
    {
        var width = model.Features.Count;
        var input = new float[vectors.Count * width];
        var scored = new int[vectors.Count];
        var errors = new string?[vectors.Count];
        var count = 0;
        for (var i = 0; i < vectors.Count; i++)
        {
            try
            {
                // The online path's own check: a row the online path would refuse (422) is kept with the reason, unscored.
                var row = Predictor.Validate(vectors[i].Features, model.Features, model.AcceptsMissing);
                row.CopyTo(input.AsSpan(count * width));
                scored[i] = count++;
            }
            catch (FeatureValidationException ex)
            {
                scored[i] = -1;
                errors[i] = ex.Message;
            }
        }

        var probability = new double[count];
        var uncertainty = new double[count];
        if (count > 0)
        {
            model.Score(input.AsMemory(0, count * width), count, probability, uncertainty);
        }

        var results = new BatchResultRow[vectors.Count];
        for (var i = 0; i < vectors.Count; i++)
        {
            var v = vectors[i];
            results[i] = scored[i] >= 0
                ? new BatchResultRow(v.EntityId, v.Time, v.LabelId, probability[scored[i]], uncertainty[scored[i]], null, v.Features)
                : new BatchResultRow(v.EntityId, v.Time, v.LabelId, null, null, errors[i], v.Features);
        }

        await store.AddResultsAsync(job.JobId, results, cancellationToken);
        if (job.OutputTopic is { } topic)
        {
            // Every row of the batch is sent, new or not: a crash between the insert and the send must not lose it, and
            // the event id is the row's, so a consumer idempotent by id keeps it once.
            await Task.WhenAll(results.Select(r => producer.ProduceEnvelopeAsync(topic, Envelope(job, r), cancellationToken)));
        }

        InferenceTelemetry.BatchRows.Add(results.Length, new KeyValuePair<string, object?>("model.name", job.ModelName));
        return results.Length;
    }

    static EventEnvelope<BatchPredictionMade> Envelope(BatchJob job, BatchResultRow row) => new()
    {
        Id = RowEventId(job.JobId, row.EntityId, row.Time),
        Source = "/services/inference/batch",
        Type = EnvelopeSerializer.EventTypeOf(typeof(BatchPredictionMade)),
        DataSchema = EnvelopeSerializer.EventTypeOf(typeof(BatchPredictionMade)),
        Time = row.Time,
        Subject = row.EntityId,
        Data = new BatchPredictionMade
        {
            JobId = job.JobId,
            EntityId = row.EntityId,
            Time = row.Time,
            LabelId = row.LabelId,
            ModelName = job.ModelName,
            ModelVersion = job.ModelVersion,
            DatasetVersion = job.DatasetVersion,
            Probability = row.Probability,
            Uncertainty = row.Uncertainty,
            Error = row.Error,
        },
    };

    /// <summary>The output record's event id: the same for the same row however often its chunk is scored.</summary>
    public static string RowEventId(string jobId, string entityId, DateTimeOffset time) =>
        string.Create(CultureInfo.InvariantCulture, $"{jobId}/{entityId}/{time.ToUniversalTime():yyyy-MM-ddTHH:mm:ss.fffffffZ}");
}
