using Microsoft.Extensions.Options;
using Mlops.Contracts.Features;
using Mlops.Contracts.Kafka;
using Mlops.Features.Definitions;
using Mlops.Features.Storage;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.ServiceDefaults.Background;
using Mlops.ServiceDefaults.Resilience;
using Npgsql;

namespace Mlops.Features.Labels;

/// <summary>
/// Puts labels taken over HTTP on the labels topic, where monitoring joins them to predictions. The label row is its
/// own outbox entry (<c>publish_pending</c>, written with the label), so a crash before publishing only delays it. The
/// envelope id is derived from the label id: a label published twice (crash after the broker's ack, before the row was
/// cleared) is one event to every idempotent consumer. Rows are claimed with SKIP LOCKED, so replicas share the work.
/// </summary>
public sealed class LabelPublisher(
    FeatureDatabase database, IEventProducer producer, IOptions<FeatureTopics> topics, IOptions<LabelPublishingOptions> options,
    ILogger<LabelPublisher> logger) : BackgroundService
{
    const string ClaimSql = """
        SELECT label_id, entity_id, name, value, event_time, prediction_id, recorded_at FROM labels
        WHERE publish_pending ORDER BY recorded_at LIMIT $1 FOR UPDATE SKIP LOCKED
        """;

    const string ClearSql = "UPDATE labels SET publish_pending = false WHERE label_id = ANY($1)";

    readonly WakeSignal _signal = new();

    /// <summary>Wakes the publisher now (a label was stored), instead of at its next interval.</summary>
    public void Notify() => _signal.Notify();

    /// <summary>The envelope id of a label's event: the same for every publication of the same label.</summary>
    public static string EventIdOf(string labelId) => "label:" + labelId;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var published = await PublishPendingAsync(stoppingToken);
                delay = TimeSpan.FromMilliseconds(250);
                if (published < options.Value.BatchSize)
                {
                    await _signal.WaitAsync(options.Value.Interval, stoppingToken);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The labels stay pending in their rows (the claim rolled back); try again after a pause. A database or
                // broker away is expected; anything else is a fault worth an error, but still no reason to drop a label.
                FeaturesTelemetry.LabelPublishFailures.Add(1);
                if (TransientFailure.Is(ex, stoppingToken))
                {
                    logger.LogWarning("Labels not published, retrying in {Delay}: {Reason}", delay, ex.Message);
                }
                else
                {
                    logger.LogError(ex, "Labels not published, retrying in {Delay}", delay);
                }

                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.Value.MaxRetryDelay.Ticks));
            }
        }
    }

    /// <summary>One round: claims up to a batch of pending labels, publishes them and clears them. Returns how many.</summary>
    public async Task<int> PublishPendingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var claimed = new List<(EventEnvelope<LabelRecorded> Envelope, string LabelId)>();
        await using (var claim = new NpgsqlCommand(ClaimSql, connection, transaction))
        {
            claim.Parameters.Add(new NpgsqlParameter { Value = options.Value.BatchSize });
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var label = new LabelRecorded
                {
                    LabelId = reader.GetString(0), EntityId = reader.GetString(1), Name = reader.GetString(2), Value = reader.GetDouble(3),
                    EventTime = reader.GetFieldValue<DateTimeOffset>(4), PredictionId = reader.IsDBNull(5) ? null : reader.GetString(5),
                };
                claimed.Add((new EventEnvelope<LabelRecorded>
                {
                    Id = EventIdOf(label.LabelId), Source = "/services/features", Type = EnvelopeSerializer.EventTypeOf(typeof(LabelRecorded)),
                    Time = reader.GetFieldValue<DateTimeOffset>(6), Subject = label.EntityId, Data = label,
                }, label.LabelId));
            }
        }

        if (claimed.Count == 0)
        {
            return 0;
        }

        using var activity = FeaturesTelemetry.Source.StartActivity("publish labels");
        activity?.SetTag("messaging.batch.message_count", claimed.Count);
        // Produced together and awaited together: one broker round trip for the batch, per-entity order kept by key.
        await Task.WhenAll(claimed.Select(c => producer.ProduceEnvelopeAsync(topics.Value.Labels, c.Envelope, cancellationToken)));
        await using (var clear = new NpgsqlCommand(ClearSql, connection, transaction))
        {
            clear.Parameters.Add(new NpgsqlParameter { Value = claimed.Select(c => c.LabelId).ToArray() });
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        FeaturesTelemetry.LabelsPublished.Add(claimed.Count);
        return claimed.Count;
    }
}
