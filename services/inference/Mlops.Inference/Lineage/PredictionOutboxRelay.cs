using System.Text.Json;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Inference;
using Mlops.Contracts.Kafka;
using Mlops.Inference.Models;
using Mlops.Inference.Telemetry;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.ServiceDefaults.Background;
using Npgsql;

namespace Mlops.Inference.Lineage;

/// <summary>
/// Publishes HTTP predictions on <c>predictions.v1</c> from the prediction log through its outbox table
/// (<c>prediction_outbox</c>, filled by the log's insert): a round claims up to
/// <see cref="PredictionLogOptions.PublishBatchSize"/> entries (<c>FOR UPDATE SKIP LOCKED</c>, so replicas share the
/// backlog without publishing a prediction twice at once), publishes each logged prediction as a
/// <see cref="PredictionMade"/> whose event id is its prediction id, and deletes the entries in the same transaction
/// once the broker acknowledged all of them. A broker or database that does not answer rolls the round back and pauses
/// the relay with backoff; the entries stay, so nothing written is lost. A process stopping between acknowledgement and
/// commit publishes those predictions again under the same event id, which consumers deduplicate (at least once, never
/// a second prediction id).
/// </summary>
/// <remarks>
/// The HTTP hot path never waits for the broker: it only queues the log entry (<see cref="PredictionLog"/>); the writer
/// inserts it and nudges this relay, which otherwise polls every <see cref="PredictionLogOptions.PublishPollInterval"/>
/// for rows other replicas wrote or a stopped process left.
/// </remarks>
public sealed class PredictionOutboxRelay(
    PredictionLogDatabase database, IEventProducer producer, IOptions<PredictionLogOptions> options, IOptions<InferenceOptions> inference,
    IHostEnvironment environment, ILogger<PredictionOutboxRelay> logger) : BackgroundService
{
    // The outbox entries are locked, not the log rows: those never change, and replay reads them meanwhile. An entry
    // whose log row the retention purge already deleted has nothing to publish and is dropped with the round.
    const string ClaimSql = """
        SELECT o.prediction_id, l.entity_id, l.model_name, l.model_version, l.variant, l.feature_set_version, l.feature_event_time,
               l.triggering_observation_id, l.probability, l.uncertainty, l.fallback, o.predicted_at, l.features::text
        FROM (SELECT prediction_id, predicted_at FROM prediction_outbox ORDER BY predicted_at LIMIT $1 FOR UPDATE SKIP LOCKED) o
        LEFT JOIN prediction_log l ON l.prediction_id = o.prediction_id
        """;

    const string MarkSql = "DELETE FROM prediction_outbox WHERE prediction_id = ANY($1)";

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    readonly WakeSignal _nudge = new();

    /// <summary>Wakes the relay: the writer has just inserted rows (at most one wake-up is kept).</summary>
    public void Nudge() => _nudge.Notify();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var published = await PublishPendingAsync(stoppingToken);
                delay = TimeSpan.FromMilliseconds(200);
                if (published >= settings.PublishBatchSize)
                {
                    // A full batch: more may be waiting, go on at once.
                    continue;
                }

                await _nudge.WaitAsync(settings.PublishPollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Transient (database or broker away): the claimed rows were rolled back and stay pending.
                InferenceTelemetry.HttpPredictionPublishRetries.Add(1);
                logger.LogWarning("Publishing HTTP predictions on {Topic} failed ({Reason}); retrying in {Delay}", Topic, ex.Message, delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.MaxRetryDelay.Ticks));
            }
        }
    }

    string Topic => inference.Value.Streaming.PredictionsTopic;

    /// <summary>One round: claims outbox entries, publishes their predictions and deletes the entries; returns how many.</summary>
    public async Task<int> PublishPendingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var claimed = new List<EventEnvelope<PredictionMade>>();
        var ids = new List<string>();
        await using (var claim = new NpgsqlCommand(ClaimSql, connection, transaction))
        {
            claim.Parameters.Add(new NpgsqlParameter { Value = options.Value.PublishBatchSize });
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetString(0));
                if (!reader.IsDBNull(2))
                {
                    claimed.Add(Envelope(reader));
                }
            }
        }

        if (ids.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return 0;
        }

        using var activity = InferenceTelemetry.ActivitySource.StartActivity("publish http predictions");
        activity?.SetTag("mlops.predictions.batch", claimed.Count);
        var traceParent = TraceContext.TraceParentOf(activity);
        await Task.WhenAll(claimed.Select(e => producer.ProduceEnvelopeAsync(Topic, e with { TraceParent = traceParent, TraceState = activity?.TraceStateString }, cancellationToken)));
        await using (var mark = new NpgsqlCommand(MarkSql, connection, transaction))
        {
            mark.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        InferenceTelemetry.HttpPredictionsPublished.Add(claimed.Count);
        return ids.Count;
    }

    EventEnvelope<PredictionMade> Envelope(NpgsqlDataReader r)
    {
        var predictionId = r.GetString(0);
        var entityId = r.IsDBNull(1) ? null : r.GetString(1);
        var predictedAt = r.GetFieldValue<DateTimeOffset>(11);
        var type = EnvelopeSerializer.EventTypeOf(typeof(PredictionMade));
        return new EventEnvelope<PredictionMade>
        {
            // The prediction id is the event id, so a re-publication after a crash is recognised as the same event.
            Id = predictionId,
            Source = "/services/" + environment.ApplicationName,
            Type = type,
            Time = DateTimeOffset.UtcNow,
            // Keyed by entity like streaming predictions; an inline prediction without one by its own id.
            Subject = entityId ?? predictionId,
            DataSchema = type,
            Data = new PredictionMade
            {
                PredictionId = predictionId,
                EntityId = entityId ?? "",
                ModelName = r.GetString(2),
                ModelVersion = r.GetString(3),
                Variant = r.GetString(4),
                FeatureSetVersion = r.IsDBNull(5) ? "" : r.GetString(5),
                // An inline request's features have no event time of their own: they are as of the prediction.
                FeatureEventTime = r.IsDBNull(6) ? predictedAt : r.GetFieldValue<DateTimeOffset>(6),
                TriggeringObservationId = r.IsDBNull(7) ? null : r.GetString(7),
                Probability = r.GetDouble(8),
                Uncertainty = r.GetDouble(9),
                Fallback = r.GetBoolean(10),
                PredictedAt = predictedAt,
                Features = Inputs(r.GetString(12)),
            },
        };
    }

    static Dictionary<string, double?> Inputs(string json)
    {
        var inputs = new Dictionary<string, double?>(StringComparer.Ordinal);
        foreach (var feature in JsonSerializer.Deserialize<List<LoggedFeature>>(json, Json) ?? [])
        {
            inputs[feature.Name] = feature.Value;
        }

        return inputs;
    }
}
