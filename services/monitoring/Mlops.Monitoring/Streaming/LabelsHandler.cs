using System.Diagnostics;
using Mlops.Contracts.Features;
using Mlops.Kafka.Consuming;
using Mlops.Kafka.Idempotency;
using Npgsql;

namespace Mlops.Monitoring.Streaming;

/// <summary>
/// Keeps the outcomes (<c>labels.v1</c>) so the performance evaluator can join them to the predictions they answer.
/// A label without an entity, name or finite value answers nothing and is skipped (the features service dead-letters it).
/// </summary>
public sealed class LabelsHandler(KafkaInbox inbox) : SingleStatementBatchEventHandler<LabelRecorded>(inbox)
{
    static readonly string Sql = KafkaInbox.WithMarks("""
        stored AS (
            INSERT INTO outcome_labels (label_id, entity_id, name, value, event_time, prediction_id, recorded_at)
            SELECT l.label_id, l.entity_id, l.name, l.value, l.event_time, l.prediction_id, l.recorded_at
            FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::double precision[], $9::timestamptz[], $10::text[], $11::timestamptz[])
                AS l(event_id, label_id, entity_id, name, value, event_time, prediction_id, recorded_at)
            WHERE l.event_id IN (SELECT event_id FROM fresh)
            ON CONFLICT (label_id) DO NOTHING)
        """);

    protected override string Statement => Sql;

    protected override void AddEffectParameters(NpgsqlParameterCollection parameters, IReadOnlyList<KafkaRecord<LabelRecorded>> records)
    {
        var usable = records
            .Where(r => !string.IsNullOrWhiteSpace(r.Envelope.Data.LabelId) && !string.IsNullOrWhiteSpace(r.Envelope.Data.EntityId)
                && !string.IsNullOrWhiteSpace(r.Envelope.Data.Name) && double.IsFinite(r.Envelope.Data.Value))
            .DistinctBy(r => r.Envelope.Data.LabelId)
            .ToList();
        parameters.Add(new() { Value = usable.Select(r => r.Envelope.Id).ToArray() });
        parameters.Add(new() { Value = usable.Select(r => r.Envelope.Data.LabelId).ToArray() });
        parameters.Add(new() { Value = usable.Select(r => r.Envelope.Data.EntityId).ToArray() });
        parameters.Add(new() { Value = usable.Select(r => r.Envelope.Data.Name).ToArray() });
        parameters.Add(new() { Value = usable.Select(r => r.Envelope.Data.Value).ToArray() });
        parameters.Add(new() { Value = usable.Select(r => r.Envelope.Data.EventTime.UtcDateTime).ToArray() });
        parameters.Add(new() { Value = usable.Select(r => r.Envelope.Data.PredictionId).ToArray() });
        // When the outcome was recorded upstream: the delay is measured from the prediction to this.
        parameters.Add(new() { Value = usable.Select(r => r.Envelope.Time.UtcDateTime).ToArray() });
    }

    protected override Activity? StartActivity(IReadOnlyList<KafkaRecord<LabelRecorded>> records)
    {
        var activity = MonitoringTelemetry.Source.StartActivity("monitoring.labels.store");
        activity?.SetTag("messaging.batch.message_count", records.Count);
        return activity;
    }

    protected override Task OnCommittedAsync(IReadOnlyList<KafkaRecord<LabelRecorded>> records, int fresh, CancellationToken cancellationToken)
    {
        MonitoringTelemetry.Consumed.Add(fresh, new KeyValuePair<string, object?>("topic", records[0].Context.Topic));
        return Task.CompletedTask;
    }
}
