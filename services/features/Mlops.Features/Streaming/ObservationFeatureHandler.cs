using System.Diagnostics;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Features;
using Mlops.Contracts.Ingestion;
using Mlops.Contracts.Kafka;
using Mlops.Features.Computation;
using Mlops.Features.Definitions;
using Mlops.Features.Storage;
using Mlops.Kafka.Consuming;
using Mlops.Kafka.Idempotency;
using Mlops.Kafka.Producing;
using Npgsql;

namespace Mlops.Features.Streaming;

/// <summary>
/// Streaming computation from <c>observations.v1</c>: stores the observation, recomputes the entity's latest vector at
/// its newest event time (so a late observation updates whatever windows it falls in), and publishes it — all before
/// the inbox transaction commits, so a crash re-runs the whole step and nothing is counted twice.
/// </summary>
public sealed class ObservationFeatureHandler(
    KafkaInbox inbox, FeatureDatabase database, IOptions<FeatureDefinitions> definitions, IOptions<FeatureTopics> topics, IEventProducer producer, OnlineFeatureCache cache, TimeProvider clock)
    : IdempotentEventHandler<ObservationAccepted>(inbox)
{
    StoredVector? _committed;

    /// <inheritdoc />
    protected override async Task ApplyAsync(
        EventEnvelope<ObservationAccepted> envelope, KafkaMessageContext context, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        // The inbox opened this transaction, not FeatureDatabase, so the schema must be ensured here.
        await database.EnsureSchemaAsync(cancellationToken);
        using var activity = FeaturesTelemetry.Source.StartActivity("compute features");
        var started = Stopwatch.GetTimestamp();
        var observation = envelope.Data;
        var set = definitions.Value;
        await FeatureStore.AddObservationAsync(connection, transaction, observation.EntityId,
            new ObservationPoint(observation.ObservationId, observation.Code, observation.Value, observation.EventTime, observation.RecordedAt), cancellationToken);

        var points = await FeatureStore.LoadEntityWindowAsync(connection, transaction, observation.EntityId, set.Horizon, cancellationToken);
        var asOf = points.Max(p => p.EventTime);
        var vector = new StoredVector(
            observation.EntityId, set.Version, asOf, clock.GetUtcNow(), FeatureCalculator.Compute(set, points, asOf), observation.ObservationId);
        await FeatureStore.SaveVectorAsync(connection, transaction, vector, "stream", cancellationToken);

        await producer.ProduceAsync(topics.Value.Features, vector.EntityId, new FeatureVectorUpdated
        {
            EntityId = vector.EntityId,
            EntityType = set.EntityType,
            FeatureSetVersion = vector.FeatureSetVersion,
            Values = vector.Values,
            EventTime = vector.EventTime,
            ComputedAt = vector.ComputedAt,
            TriggeringObservationId = observation.ObservationId,
        }, cancellationToken);

        FeaturesTelemetry.Computed.Add(1, new KeyValuePair<string, object?>("late", observation.EventTime < asOf));
        FeaturesTelemetry.ComputeDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        _committed = vector;
    }

    /// <inheritdoc />
    protected override Task OnCommittedAsync(EventEnvelope<ObservationAccepted> envelope, KafkaMessageContext context, CancellationToken cancellationToken)
    {
        // Only committed vectors may be served: the cache follows the transaction, never leads it.
        if (_committed is not null)
        {
            cache.Put(_committed);
        }

        return Task.CompletedTask;
    }
}
