using Mlops.Contracts.Features;
using Mlops.Kafka.Consuming;
using Mlops.Kafka.Idempotency;
using Npgsql;

namespace Mlops.Monitoring.Streaming;

/// <summary>
/// Keeps the outcomes (<c>labels.v1</c>) so the performance evaluator can join them to the predictions they answer.
/// A label without an entity, name or finite value answers nothing and is skipped (the features service dead-letters it).
/// </summary>
public sealed class LabelsHandler(KafkaInbox inbox) : IdempotentBatchEventHandler<LabelRecorded>(inbox)
{
    const string Sql = """
        INSERT INTO outcome_labels (label_id, entity_id, name, value, event_time, prediction_id, recorded_at)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::double precision[], $5::timestamptz[], $6::text[], $7::timestamptz[])
        ON CONFLICT (label_id) DO NOTHING
        """;

    protected override async Task ApplyAsync(
        IReadOnlyList<KafkaRecord<LabelRecorded>> records, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        using var activity = MonitoringTelemetry.Source.StartActivity("monitoring.labels.store");
        activity?.SetTag("messaging.batch.message_count", records.Count);
        var usable = records
            .Where(r => !string.IsNullOrWhiteSpace(r.Envelope.Data.LabelId) && !string.IsNullOrWhiteSpace(r.Envelope.Data.EntityId)
                && !string.IsNullOrWhiteSpace(r.Envelope.Data.Name) && double.IsFinite(r.Envelope.Data.Value))
            .DistinctBy(r => r.Envelope.Data.LabelId)
            .ToList();
        if (usable.Count > 0)
        {
            await using var command = new NpgsqlCommand(Sql, connection, transaction);
            command.Parameters.Add(new() { Value = usable.Select(r => r.Envelope.Data.LabelId).ToArray() });
            command.Parameters.Add(new() { Value = usable.Select(r => r.Envelope.Data.EntityId).ToArray() });
            command.Parameters.Add(new() { Value = usable.Select(r => r.Envelope.Data.Name).ToArray() });
            command.Parameters.Add(new() { Value = usable.Select(r => r.Envelope.Data.Value).ToArray() });
            command.Parameters.Add(new() { Value = usable.Select(r => r.Envelope.Data.EventTime.UtcDateTime).ToArray() });
            command.Parameters.Add(new() { Value = usable.Select(r => r.Envelope.Data.PredictionId).ToArray() });
            // When the outcome was recorded upstream: the delay is measured from the prediction to this.
            command.Parameters.Add(new() { Value = usable.Select(r => r.Envelope.Time.UtcDateTime).ToArray() });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        MonitoringTelemetry.Consumed.Add(records.Count, new KeyValuePair<string, object?>("topic", records[0].Context.Topic));
    }
}
