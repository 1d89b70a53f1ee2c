using System.Diagnostics;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Features;
using Mlops.Contracts.Ingestion;
using Mlops.Features.Computation;
using Mlops.Features.Definitions;
using Mlops.Features.Storage;
using Mlops.Kafka;
using Mlops.Kafka.Consuming;
using Mlops.Kafka.Idempotency;
using Mlops.Kafka.Producing;
using Npgsql;

namespace Mlops.Features.Streaming;

/// <summary>
/// Streaming computation from <c>observations.v1</c>, a poll's worth of records at a time: stores the new
/// observations, recomputes each touched entity's latest vector of every active definition set at its newest event
/// time (so a late observation updates whatever windows it falls in), and publishes the vectors — all before the
/// inbox transaction commits, so a crash re-runs the whole step and nothing is counted twice (a re-run publishes the
/// same vectors under the same ids: <see cref="FeatureEventId"/>). The observations are
/// read once for all sets (over the longest horizon) and all vectors are written in one round trip, so N sets cost
/// N× the calculation, not N× the I/O. Online reads learn of the new vectors from the database at commit (every
/// replica's <see cref="OnlineFeatureCache"/>), so only committed vectors are ever served.
/// </summary>
public sealed class ObservationFeatureHandler(
    KafkaInbox inbox, FeatureDatabase database, FeatureSetCatalog catalog, IOptions<FeatureTopics> topics,
    IEventProducer producer, EntityWindowCache windowCache, TimeProvider clock)
    : IdempotentBatchEventHandler<ObservationAccepted>(inbox)
{

    /// <inheritdoc />
    protected override async Task ApplyAsync(
        IReadOnlyList<KafkaRecord<ObservationAccepted>> records, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        // The inbox opened this transaction, not FeatureDatabase, so the schema must be ensured here.
        await database.EnsureSchemaAsync(cancellationToken);
        // Sets registered on any replica join here, from the next batch after the refresh interval.
        await catalog.RefreshAsync(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        var sets = catalog.Active;
        var rows = records.Select(r => ToStored(r.Envelope.Data)).ToList();
        var inserted = await FeatureStore.AddObservationsAsync(connection, transaction, rows, cancellationToken);

        var horizon = sets.Max(s => s.Horizon);
        // The entity's newest record in this batch triggered its vectors, for lineage and tracing.
        var triggers = new Dictionary<string, KafkaRecord<ObservationAccepted>>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            triggers[record.Envelope.Data.EntityId] = record;
        }

        var windows = await WindowsAsync(connection, transaction, triggers, inserted, horizon, cancellationToken);
        var computedAt = clock.GetUtcNow();
        var vectors = new List<(StoredVector Vector, string EntityType, KafkaRecord<ObservationAccepted> Trigger)>(windows.Count * sets.Count);

        foreach (var (entityId, window) in windows)
        {
            var asOf = window.Max(p => p.EventTime);
            var trigger = triggers[entityId];
            foreach (var set in sets)
            {
                // What the vector was computed from travels with it, so a prediction on it can be replayed point in time.
                var lineage = VectorLineage.Of(set, window, asOf);
                var vector = new StoredVector(entityId, set.Version, asOf, computedAt, FeatureCalculator.Compute(set, window, asOf), trigger.Envelope.Data.ObservationId)
                {
                    KnownAt = lineage.KnownAt,
                    ObservationIds = lineage.ObservationIds,
                };
                vectors.Add((vector, set.EntityType, trigger));
            }
        }

        await FeatureStore.SaveVectorsAsync(connection, transaction, vectors.Select(v => v.Vector).ToList(), "stream", cancellationToken);
        await PublishAsync(vectors, cancellationToken);

        FeaturesTelemetry.Computed.Add(vectors.Count);
        FeaturesTelemetry.ComputeDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// Each touched entity's window after this batch's inserts: from the cache plus what was inserted when this replica
    /// has held the entity's partition since caching it, else read from the database (all touched entities not cached,
    /// in one query). Remembered for the cache until the commit.
    /// </summary>
    async Task<Dictionary<string, List<ObservationPoint>>> WindowsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Dictionary<string, KafkaRecord<ObservationAccepted>> triggers,
        Dictionary<string, List<ObservationPoint>> inserted, TimeSpan horizon, CancellationToken cancellationToken)
    {
        windowCache.BeginBatch();
        var windows = new Dictionary<string, List<ObservationPoint>>(triggers.Count, StringComparer.Ordinal);
        var uncached = new List<string>();
        foreach (var (entityId, trigger) in triggers)
        {
            if (windowCache.Find(entityId, trigger.Context, horizon) is { } cached)
            {
                windows[entityId] = EntityWindowCache.Extend(cached, inserted.GetValueOrDefault(entityId) ?? [], horizon);
            }
            else
            {
                uncached.Add(entityId);
            }
        }

        FeaturesTelemetry.WindowReads.Add(windows.Count, new KeyValuePair<string, object?>("source", "cache"));
        FeaturesTelemetry.WindowReads.Add(uncached.Count, new KeyValuePair<string, object?>("source", "database"));
        if (uncached.Count > 0)
        {
            foreach (var (entityId, window) in await FeatureStore.LoadEntityWindowsAsync(connection, transaction, [.. uncached], horizon, cancellationToken))
            {
                windows[entityId] = window;
            }
        }

        if (windowCache.Enabled)
        {
            var pending = new List<EntityWindowCache.Pending>(windows.Count);
            foreach (var (entityId, window) in windows)
            {
                var context = triggers[entityId].Context;
                if (windowCache.EpochOf(context) is { } epoch)
                {
                    pending.Add(new(entityId, context, epoch, horizon, window));
                }
            }

            windowCache.Hold(pending);
        }

        return windows;
    }

    /// <inheritdoc />
    protected override Task OnCommittedAsync(CancellationToken cancellationToken)
    {
        windowCache.Commit();
        return Task.CompletedTask;
    }

    Task PublishAsync(List<(StoredVector Vector, string EntityType, KafkaRecord<ObservationAccepted> Trigger)> vectors, CancellationToken cancellationToken)
    {
        var deliveries = new List<Task>(vectors.Count);
        foreach (var (vector, entityType, trigger) in vectors)
        {
            // Continue the triggering observation's trace, so one trace runs from ingestion to the prediction.
            using var activity = FeaturesTelemetry.Source.StartActivity(
                "compute features", ActivityKind.Internal, TraceContext.Parse(trigger.Envelope.TraceParent, trigger.Envelope.TraceState));
            activity?.SetTag("mlops.entity.id", vector.EntityId);
            activity?.SetTag("mlops.feature_set.version", vector.FeatureSetVersion);
            deliveries.Add(producer.ProduceAsync(topics.Value.Features, vector.EntityId, FeatureEventId.Of(vector), new FeatureVectorUpdated
            {
                EntityId = vector.EntityId,
                EntityType = entityType,
                FeatureSetVersion = vector.FeatureSetVersion,
                Values = vector.Values,
                EventTime = vector.EventTime,
                ComputedAt = vector.ComputedAt,
                TriggeringObservationId = vector.TriggeringObservationId,
                KnownAt = vector.KnownAt,
                ObservationIds = vector.ObservationIds,
            }, cancellationToken));
        }

        return Task.WhenAll(deliveries);
    }

    static StoredObservation ToStored(ObservationAccepted observation) => new(
        observation.ObservationId, observation.EntityId, observation.Code, observation.Value, observation.EventTime, observation.RecordedAt, observation.AvailableTime);
}
