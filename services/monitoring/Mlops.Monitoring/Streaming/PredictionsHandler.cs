using System.Diagnostics;
using Mlops.Contracts.Inference;
using Mlops.Contracts.Registry;
using Mlops.Kafka.Consuming;
using Mlops.Kafka.Idempotency;
using Npgsql;

namespace Mlops.Monitoring.Streaming;

/// <summary>
/// Records every model prediction (<c>predictions.v1</c>) with the feature vector it scored when that vector has already
/// arrived (or with the inputs an HTTP prediction carries); the fallback rule's answers are left out (no model version to compare). Deduplicated by event id (the inbox)
/// and by prediction id (a unique index): a stream prediction redelivered under a new event id, or an HTTP prediction
/// the inference relay published twice, is stored once.
/// </summary>
public sealed class PredictionsHandler(KafkaInbox inbox) : SingleStatementBatchEventHandler<PredictionMade>(inbox)
{
    static readonly string Sql = KafkaInbox.WithMarks("""
        stored AS (
            INSERT INTO prediction_samples (event_id, prediction_id, model_name, model_version, variant, entity_id, feature_event_id, probability, predicted_at, feature_values)
            SELECT p.event_id, p.prediction_id, p.model_name, p.model_version, p.variant, p.entity_id, p.feature_event_id, p.probability, p.predicted_at,
                   coalesce(v.feature_values, p.inputs::jsonb)
            FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::double precision[], $12::timestamptz[], $13::text[])
                AS p(event_id, prediction_id, model_name, model_version, variant, entity_id, feature_event_id, probability, predicted_at, inputs)
            LEFT JOIN feature_vectors v ON v.event_id = p.feature_event_id
            WHERE p.event_id IN (SELECT event_id FROM fresh)
            ON CONFLICT DO NOTHING)
        """);

    protected override string Statement => Sql;

    protected override void AddEffectParameters(NpgsqlParameterCollection parameters, IReadOnlyList<KafkaRecord<PredictionMade>> records)
    {
        var scored = records.Where(r => !r.Envelope.Data.Fallback && double.IsFinite(r.Envelope.Data.Probability)).ToList();
        parameters.Add(new() { Value = scored.Select(r => r.Envelope.Id).ToArray() });
        parameters.Add(new() { Value = scored.Select(r => r.Envelope.Data.PredictionId).ToArray() });
        parameters.Add(new() { Value = scored.Select(r => r.Envelope.Data.ModelName).ToArray() });
        parameters.Add(new() { Value = scored.Select(r => r.Envelope.Data.ModelVersion).ToArray() });
        // Producers from before variants answered for the champion.
        parameters.Add(new() { Value = scored.Select(r => r.Envelope.Data.Variant ?? ModelAliases.Champion).ToArray() });
        parameters.Add(new() { Value = scored.Select(r => r.Envelope.Data.EntityId).ToArray() });
        parameters.Add(new() { Value = scored.Select(r => r.Envelope.Data.FeatureEventId).ToArray() });
        parameters.Add(new() { Value = scored.Select(r => r.Envelope.Data.Probability).ToArray() });
        parameters.Add(new() { Value = scored.Select(r => r.Envelope.Data.PredictedAt.UtcDateTime).ToArray() });
        // An HTTP prediction carries its inputs (no vector on features.v1 to join): they are its sample's features.
        parameters.Add(new() { Value = scored.Select(r => r.Envelope.Data.Features is { } inputs ? FeatureVectorsHandler.FiniteValuesJson(inputs) : null).ToArray() });
    }

    protected override Activity? StartActivity(IReadOnlyList<KafkaRecord<PredictionMade>> records)
    {
        var activity = MonitoringTelemetry.Source.StartActivity("monitoring.predictions.store");
        activity?.SetTag("messaging.batch.message_count", records.Count);
        return activity;
    }

    protected override Task OnCommittedAsync(IReadOnlyList<KafkaRecord<PredictionMade>> records, int fresh, CancellationToken cancellationToken)
    {
        MonitoringTelemetry.Consumed.Add(fresh, new KeyValuePair<string, object?>("topic", records[0].Context.Topic));
        return Task.CompletedTask;
    }
}
