using System.Diagnostics;
using Mlops.Contracts.Ingestion;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Kafka;
using Mlops.Ingestion.Schemas;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Npgsql;

namespace Mlops.Ingestion.Storage;

/// <summary>
/// Publishes stored observations to <c>observations.v1</c> in raw-store order and removes them from the outbox
/// only after the broker acknowledged them. A crash in between publishes them again with the same event id
/// (the observation id), which consumers deduplicate.
/// </summary>
public sealed class ObservationOutboxRelay(
    IngestionDatabase database, IEventProducer producer, OutboxSignal signal, IOptions<IngestionOptions> options, ILogger<ObservationOutboxRelay> logger) : BackgroundService
{
    const int BatchSize = 1000;

    const string PendingSql = """
        SELECT o.seq, o.observation_id, o.entity_id, o.entity_type, o.code, o.value, o.category, o.unit,
               o.event_time, o.recorded_at, o.source_system, b.traceparent, b.tracestate, o.available_time
        FROM observation_outbox b JOIN observations o ON o.seq = b.seq
        ORDER BY b.seq
        LIMIT $1
        FOR UPDATE OF b SKIP LOCKED
        """;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var published = await PublishBatchAsync(stoppingToken);
                if (published < BatchSize)
                {
                    await signal.WaitAsync(TimeSpan.FromMilliseconds(500), stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or Confluent.Kafka.KafkaException or TimeoutException)
            {
                logger.LogWarning(ex, "Observation outbox relay failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    /// <summary>Publishes up to one batch; returns how many were published.</summary>
    public async Task<int> PublishBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The delete need not wait for the disk: lost in a crash, its rows are published again under the same event ids,
        // which every consumer's inbox turns away. One flush fewer per round for the intake's commits to queue behind.
        await using (var relaxed = new NpgsqlCommand("SET LOCAL synchronous_commit = off", connection, transaction))
        {
            await relaxed.ExecuteNonQueryAsync(cancellationToken);
        }

        var pending = new List<(long Seq, EventEnvelope<ObservationAccepted> Envelope)>();
        await using (var select = new NpgsqlCommand(PendingSql, connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = BatchSize });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                pending.Add((reader.GetInt64(0), ToEnvelope(reader)));
            }
        }

        if (pending.Count == 0)
        {
            return 0;
        }

        await Task.WhenAll(pending.Select(p => producer.ProduceEnvelopeAsync(options.Value.AcceptedTopic, p.Envelope, cancellationToken)));

        await using (var delete = new NpgsqlCommand("DELETE FROM observation_outbox WHERE seq = ANY($1)", connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = pending.Select(p => p.Seq).ToArray() });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        IngestionTelemetry.Published.Add(pending.Count);
        return pending.Count;
    }

    static EventEnvelope<ObservationAccepted> ToEnvelope(NpgsqlDataReader reader)
    {
        var data = new ObservationAccepted
        {
            Sequence = reader.GetInt64(0),
            ObservationId = reader.GetString(1),
            EntityId = reader.GetString(2),
            EntityType = reader.GetString(3),
            Code = reader.GetString(4),
            Value = reader.GetDouble(5),
            Category = reader.IsDBNull(6) ? null : reader.GetString(6),
            Unit = reader.GetString(7),
            EventTime = reader.GetFieldValue<DateTimeOffset>(8),
            RecordedAt = reader.GetFieldValue<DateTimeOffset>(9),
            SourceSystem = reader.GetString(10),
            AvailableTime = reader.IsDBNull(13) ? null : reader.GetFieldValue<DateTimeOffset>(13),
        };
        var type = EnvelopeSerializer.EventTypeOf(typeof(ObservationAccepted));
        return new EventEnvelope<ObservationAccepted>
        {
            Id = data.ObservationId,
            Source = "/services/ingestion",
            Type = type,
            DataSchema = type,
            Time = data.RecordedAt,
            Subject = data.EntityId,
            // The trace of the request that accepted the observation continues downstream of the relay.
            TraceParent = reader.IsDBNull(11) ? null : reader.GetString(11),
            TraceState = reader.IsDBNull(12) ? null : reader.GetString(12),
            Data = data,
        };
    }
}
