using System.Text.Json;
using Mlops.Contracts.Features;
using Mlops.Kafka.Consuming;
using Mlops.Kafka.Idempotency;
using Npgsql;

namespace Mlops.Monitoring.Streaming;

/// <summary>
/// Keeps recent feature vectors (<c>features.v1</c>) and hands each to the predictions that scored it: a prediction that
/// arrived first is waiting for it (the two topics are not ordered with each other).
/// </summary>
public sealed class FeatureVectorsHandler(KafkaInbox inbox) : IdempotentBatchEventHandler<FeatureVectorUpdated>(inbox)
{
    const string Sql = """
        WITH v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS t(event_id, entity_id, feature_values)),
        stored AS (
            INSERT INTO feature_vectors (event_id, entity_id, feature_values)
            SELECT event_id, entity_id, feature_values::jsonb FROM v
            ON CONFLICT (event_id) DO NOTHING)
        UPDATE prediction_samples p SET feature_values = v.feature_values::jsonb
        FROM v WHERE p.feature_event_id = v.event_id AND p.feature_values IS NULL
        """;

    protected override async Task ApplyAsync(
        IReadOnlyList<KafkaRecord<FeatureVectorUpdated>> records, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        using var activity = MonitoringTelemetry.Source.StartActivity("monitoring.features.store");
        activity?.SetTag("messaging.batch.message_count", records.Count);
        await using var command = new NpgsqlCommand(Sql, connection, transaction);
        command.Parameters.Add(new() { Value = records.Select(r => r.Envelope.Id).ToArray() });
        command.Parameters.Add(new() { Value = records.Select(r => r.Envelope.Data.EntityId).ToArray() });
        command.Parameters.Add(new() { Value = records.Select(r => JsonSerializer.Serialize(FiniteValues(r.Envelope.Data.Values))).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
        MonitoringTelemetry.Consumed.Add(records.Count, new KeyValuePair<string, object?>("topic", records[0].Context.Topic));
    }

    // Missing values stay out of drift (as Evidently drops NaN); keeping only finite numbers makes the JSON valid too.
    static Dictionary<string, double> FiniteValues(IReadOnlyDictionary<string, double?> values) =>
        values.Where(kv => kv.Value is { } v && double.IsFinite(v)).ToDictionary(kv => kv.Key, kv => kv.Value!.Value, StringComparer.Ordinal);
}
