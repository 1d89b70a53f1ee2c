using System.Diagnostics;
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
public sealed class FeatureVectorsHandler(KafkaInbox inbox) : SingleStatementBatchEventHandler<FeatureVectorUpdated>(inbox)
{
    static readonly string Sql = KafkaInbox.WithMarks("""
        v AS (SELECT event_id, entity_id, feature_values::jsonb AS feature_values
              FROM unnest($4::text[], $5::text[], $6::text[]) AS t(event_id, entity_id, feature_values)
              WHERE event_id IN (SELECT event_id FROM fresh)),
        stored AS (
            INSERT INTO feature_vectors (event_id, entity_id, feature_values)
            SELECT event_id, entity_id, feature_values FROM v
            ON CONFLICT (event_id) DO NOTHING),
        joined AS (
            UPDATE prediction_samples p SET feature_values = v.feature_values
            FROM v WHERE p.feature_event_id = v.event_id AND p.feature_values IS NULL)
        """);

    protected override string Statement => Sql;

    protected override void AddEffectParameters(NpgsqlParameterCollection parameters, IReadOnlyList<KafkaRecord<FeatureVectorUpdated>> records)
    {
        var ids = new string[records.Count];
        var entities = new string[records.Count];
        var values = new string[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            ids[i] = records[i].Envelope.Id;
            entities[i] = records[i].Envelope.Data.EntityId;
            values[i] = FiniteValuesJson(records[i].Envelope.Data.Values);
        }

        parameters.Add(new() { Value = ids });
        parameters.Add(new() { Value = entities });
        parameters.Add(new() { Value = values });
    }

    protected override Activity? StartActivity(IReadOnlyList<KafkaRecord<FeatureVectorUpdated>> records)
    {
        var activity = MonitoringTelemetry.Source.StartActivity("monitoring.features.store");
        activity?.SetTag("messaging.batch.message_count", records.Count);
        return activity;
    }

    protected override Task OnCommittedAsync(IReadOnlyList<KafkaRecord<FeatureVectorUpdated>> records, int fresh, CancellationToken cancellationToken)
    {
        MonitoringTelemetry.Consumed.Add(fresh, new KeyValuePair<string, object?>("topic", records[0].Context.Topic));
        return Task.CompletedTask;
    }

    // Missing values stay out of drift (as Evidently drops NaN); keeping only finite numbers makes the JSON valid too.
    internal static string FiniteValuesJson(IReadOnlyDictionary<string, double?> values)
    {
        var finite = new Dictionary<string, double>(values.Count, StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            if (value is { } v && double.IsFinite(v))
            {
                finite[name] = v;
            }
        }

        return JsonSerializer.Serialize(finite);
    }
}
