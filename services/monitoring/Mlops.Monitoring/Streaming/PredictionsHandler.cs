using Mlops.Contracts.Inference;
using Mlops.Kafka.Consuming;
using Mlops.Kafka.Idempotency;
using Npgsql;

namespace Mlops.Monitoring.Streaming;

/// <summary>
/// Records every model prediction (<c>predictions.v1</c>) with the feature vector it scored when that vector has already
/// arrived; the fallback rule's answers are left out (no model version to compare).
/// </summary>
public sealed class PredictionsHandler(KafkaInbox inbox) : IdempotentBatchEventHandler<PredictionMade>(inbox)
{
    const string Sql = """
        INSERT INTO prediction_samples (event_id, prediction_id, model_name, model_version, variant, entity_id, feature_event_id, probability, predicted_at, feature_values)
        SELECT p.event_id, p.prediction_id, p.model_name, p.model_version, p.variant, p.entity_id, p.feature_event_id, p.probability, p.predicted_at, v.feature_values
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::double precision[], $9::timestamptz[])
            AS p(event_id, prediction_id, model_name, model_version, variant, entity_id, feature_event_id, probability, predicted_at)
        LEFT JOIN feature_vectors v ON v.event_id = p.feature_event_id
        ON CONFLICT (event_id) DO NOTHING
        """;

    protected override async Task ApplyAsync(
        IReadOnlyList<KafkaRecord<PredictionMade>> records, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        using var activity = MonitoringTelemetry.Source.StartActivity("monitoring.predictions.store");
        activity?.SetTag("messaging.batch.message_count", records.Count);
        var scored = records.Where(r => !r.Envelope.Data.Fallback && double.IsFinite(r.Envelope.Data.Probability)).ToList();
        if (scored.Count > 0)
        {
            await using var command = new NpgsqlCommand(Sql, connection, transaction);
            command.Parameters.Add(new() { Value = scored.Select(r => r.Envelope.Id).ToArray() });
            command.Parameters.Add(new() { Value = scored.Select(r => r.Envelope.Data.PredictionId).ToArray() });
            command.Parameters.Add(new() { Value = scored.Select(r => r.Envelope.Data.ModelName).ToArray() });
            command.Parameters.Add(new() { Value = scored.Select(r => r.Envelope.Data.ModelVersion).ToArray() });
            // Producers from before variants answered for the champion.
            command.Parameters.Add(new() { Value = scored.Select(r => r.Envelope.Data.Variant ?? Mlops.Contracts.Registry.ModelAliases.Champion).ToArray() });
            command.Parameters.Add(new() { Value = scored.Select(r => r.Envelope.Data.EntityId).ToArray() });
            command.Parameters.Add(new() { Value = scored.Select(r => r.Envelope.Data.FeatureEventId).ToArray() });
            command.Parameters.Add(new() { Value = scored.Select(r => r.Envelope.Data.Probability).ToArray() });
            command.Parameters.Add(new() { Value = scored.Select(r => r.Envelope.Data.PredictedAt.UtcDateTime).ToArray() });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        MonitoringTelemetry.Consumed.Add(records.Count, new KeyValuePair<string, object?>("topic", records[0].Context.Topic));
    }
}
