using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Inference;
using Mlops.Inference.Telemetry;
using Mlops.Kafka.Producing;
using Npgsql;
using NpgsqlTypes;

namespace Mlops.Inference.Lineage;

/// <summary>
/// Drains <see cref="PredictionLog"/> in batches: one multi-row insert into <c>prediction_log</c> (a repeated id is
/// ignored), which confirms the batch to the callers waiting for it; then, in a loop of its own so the next insert never
/// waits for the broker, the batch on the log topic. A database or broker that does not answer is retried with backoff,
/// holding the batch (the queue absorbs what arrives meanwhile); nothing is skipped while the process lives.
/// Published after the insert, so a crash between the two loses only the topic copy of that batch — the table is the
/// record replay reads. An HTTP prediction also gets an entry in <c>prediction_outbox</c> from the same statement, which
/// <see cref="PredictionOutboxRelay"/>, nudged after each insert, publishes on <c>predictions.v1</c>.
/// </summary>
public sealed class PredictionLogWriter(
    PredictionLog log, PredictionLogDatabase database, IEventProducer producer, PredictionOutboxRelay relay, IOptions<PredictionLogOptions> options,
    ILogger<PredictionLogWriter> logger)
    : BackgroundService
{
    const string InsertSql = """
        WITH logged AS (
            INSERT INTO prediction_log (prediction_id, entity_id, model_name, model_version, variant, artifact_sha256, feature_set_version, features,
                feature_event_time, feature_computed_at, known_at, observation_ids, triggering_observation_id, probability, uncertainty, fallback,
                source, trace_id, predicted_at)
            SELECT p.id, p.entity, p.model, p.version, p.variant, p.sha, p.fsv, p.features::jsonb, p.fet, p.fca, p.known,
                   CASE WHEN p.obs IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(p.obs::jsonb)) END,
                   p.trig, p.prob, p.unc, p.fb, p.src, p.trace, p.at
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[],
                        $10::timestamptz[], $11::timestamptz[], $12::text[], $13::text[], $14::float8[], $15::float8[], $16::bool[], $17::text[],
                        $18::text[], $19::timestamptz[])
                 AS p(id, entity, model, version, variant, sha, fsv, features, fet, fca, known, obs, trig, prob, unc, fb, src, trace, at)
            ON CONFLICT (prediction_id) DO NOTHING
            RETURNING prediction_id, predicted_at, source)
        -- Only rows written now: a repeated id was queued (and maybe published) when it was first written.
        INSERT INTO prediction_outbox (prediction_id, predicted_at)
        SELECT prediction_id, predicted_at FROM logged WHERE source <> $20
        """;

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var inserted = Channel.CreateBounded<List<PredictionLogged>>(new BoundedChannelOptions(settings.PublishQueue) { SingleReader = true, SingleWriter = true });
        var publishing = PublishLoopAsync(inserted.Reader, settings, stoppingToken);
        try
        {
            await InsertLoopAsync(inserted.Writer, settings, stoppingToken);
        }
        finally
        {
            inserted.Writer.TryComplete();
            await publishing;
        }
    }

    async Task InsertLoopAsync(ChannelWriter<List<PredictionLogged>> inserted, PredictionLogOptions settings, CancellationToken stoppingToken)
    {
        var batch = new List<PendingLogEntry>(settings.BatchSize);
        try
        {
            while (await log.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < settings.BatchSize && log.Reader.TryRead(out var entry))
                {
                    batch.Add(entry);
                }

                var entries = batch.Select(p => p.Entry).ToList();
                await RetryAsync("insert", entries.Count, () => InsertAsync(entries, stoppingToken), settings, stoppingToken);
                foreach (var pending in batch)
                {
                    pending.Written?.TrySetResult();
                }

                batch.Clear();
                await inserted.WriteAsync(entries, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is still queued is lost with the process; its callers are told it was not written.
            var lost = batch.Count;
            foreach (var pending in batch)
            {
                pending.Written?.TrySetCanceled(stoppingToken);
            }

            while (log.Reader.TryRead(out var pending))
            {
                pending.Written?.TrySetCanceled(stoppingToken);
                lost++;
            }

            if (lost > 0)
            {
                logger.LogWarning("Prediction log stopping with {Pending} predictions not written", lost);
            }
        }
    }

    async Task PublishLoopAsync(ChannelReader<List<PredictionLogged>> inserted, PredictionLogOptions settings, CancellationToken stoppingToken)
    {
        try
        {
            while (await inserted.WaitToReadAsync(stoppingToken))
            {
                // Every inserted batch waiting is copied in one round, its acknowledgements awaited together: one
                // batch per round tied the copy's pace to one broker round trip per insert, the queue filled, and the
                // inserts — which callers wait for — waited for the broker (~200 predictions/s at one client).
                var batch = new List<PredictionLogged>();
                while (batch.Count < settings.BatchSize && inserted.TryRead(out var more))
                {
                    batch.AddRange(more);
                }

                await RetryAsync("publish", batch.Count, () => PublishAsync(batch, settings.Topic, stoppingToken), settings, stoppingToken);
                InferenceTelemetry.PredictionLogWritten.Add(batch.Count);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the batches are in the table; only their copies on the topic are left out.
        }
    }

    async Task RetryAsync(string what, int count, Func<Task> attempt, PredictionLogOptions settings, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                using var activity = InferenceTelemetry.ActivitySource.StartActivity($"prediction log {what}");
                activity?.SetTag("mlops.prediction_log.batch", count);
                await attempt();
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Transient (database or broker away): the batch is held and retried; the queue keeps taking entries until full.
                InferenceTelemetry.PredictionLogRetries.Add(1);
                logger.LogWarning("Prediction log {What} of {Count} predictions failed ({Reason}); retrying in {Delay}", what, count, ex.Message, delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.MaxRetryDelay.Ticks));
            }
        }
    }

    async Task InsertAsync(List<PredictionLogged> batch, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        // One round trip: the callers wait for this commit. It does not wait for the WAL flush — what they must survive is
        // their own process dying (the rows are in PostgreSQL by then); a PostgreSQL crash could lose the last fraction
        // of a second of log rows, the price of not putting a disk flush on every prediction's path.
        await using var statements = new NpgsqlBatch(connection);
        statements.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        statements.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit TO OFF"));
        var command = new NpgsqlBatchCommand(InsertSql);
        statements.BatchCommands.Add(command);
        statements.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        Add(command, NpgsqlDbType.Text, batch.Select(p => p.PredictionId));
        Add(command, NpgsqlDbType.Text, batch.Select(p => p.EntityId));
        Add(command, NpgsqlDbType.Text, batch.Select(p => p.ModelName));
        Add(command, NpgsqlDbType.Text, batch.Select(p => p.ModelVersion));
        Add(command, NpgsqlDbType.Text, batch.Select(p => p.Variant));
        Add(command, NpgsqlDbType.Text, batch.Select(p => p.ArtifactSha256));
        Add(command, NpgsqlDbType.Text, batch.Select(p => p.FeatureSetVersion));
        Add(command, NpgsqlDbType.Text, batch.Select(p => JsonSerializer.Serialize(p.Features, Json)));
        Add(command, NpgsqlDbType.TimestampTz, batch.Select(p => p.FeatureEventTime));
        Add(command, NpgsqlDbType.TimestampTz, batch.Select(p => p.FeatureComputedAt));
        Add(command, NpgsqlDbType.TimestampTz, batch.Select(p => p.KnownAt));
        // A text[] per row cannot travel in a text[][] of ragged rows; each row's ids go as a JSON array.
        Add(command, NpgsqlDbType.Text, batch.Select(p => p.ObservationIds is null ? null : JsonSerializer.Serialize(p.ObservationIds, Json)));
        Add(command, NpgsqlDbType.Text, batch.Select(p => p.TriggeringObservationId));
        Add(command, NpgsqlDbType.Double, batch.Select(p => p.Probability));
        Add(command, NpgsqlDbType.Double, batch.Select(p => p.Uncertainty));
        Add(command, NpgsqlDbType.Boolean, batch.Select(p => p.Fallback));
        Add(command, NpgsqlDbType.Text, batch.Select(p => p.Source));
        Add(command, NpgsqlDbType.Text, batch.Select(p => p.TraceId));
        Add(command, NpgsqlDbType.TimestampTz, batch.Select(p => p.PredictedAt));
        // Request predictions (REST and gRPC) wait in the outbox for the relay; streaming ones were published on
        // predictions.v1 by their handler.
        command.Parameters.Add(new NpgsqlParameter { Value = PredictionSources.Stream });
        // Prepared once per pooled connection (Npgsql keeps it): planning this insert from twenty arrays took ~0.3 ms
        // beside ~0.5 ms to run it for one row — the batch a single client makes.
        await statements.PrepareAsync(cancellationToken);
        await statements.ExecuteNonQueryAsync(cancellationToken);
        relay.Nudge();
        InferenceTelemetry.PredictionLogWriteDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    static void Add<T>(NpgsqlBatchCommand command, NpgsqlDbType type, IEnumerable<T> values) =>
        command.Parameters.Add(new NpgsqlParameter { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | type });

    Task PublishAsync(List<PredictionLogged> batch, string topic, CancellationToken cancellationToken) =>
        Task.WhenAll(batch.Select(p => producer.ProduceAsync(topic, p.EntityId ?? p.PredictionId, p, cancellationToken)));
}
