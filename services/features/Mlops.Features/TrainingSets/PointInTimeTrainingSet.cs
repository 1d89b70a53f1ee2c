using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Mlops.Features.Computation;
using Mlops.Features.Definitions;
using Mlops.Features.Storage;
using Npgsql;

namespace Mlops.Features.TrainingSets;

/// <summary>One training example: a label and the features as they were known at the label's time.</summary>
public sealed record TrainingRow(string EntityId, string LabelId, DateTimeOffset LabelTime, double Label, string FeatureSetVersion, IReadOnlyDictionary<string, double?> Features);

/// <summary>
/// Point-in-time-correct training sets: for a label at time t, features are computed from the observations whose
/// event time is at or before t AND that were known by t — the source's available time when it gave one, else the
/// time the platform recorded it — so neither a future observation nor a late-arriving value can leak into a row,
/// while history loaded today with its available times still trains. Streams entity by entity; only one entity's
/// observations are in memory at a time.
/// </summary>
public sealed class PointInTimeTrainingSet(FeatureDatabase database, IOptions<FeatureDefinitions> definitions, IngestionDatasetClient datasets)
{
    // Half of what ingestion accepts per rows query (1000), so ids stay well within its limit.
    const int EntitiesPerRequest = 500;

    // Byte order, so labels merge-join with dataset rows compared ordinally.
    // A window's start ($2, null: none) keeps only labels at or after it: a retraining over recent data.
    const string LabelsSql = """
        SELECT label_id, entity_id, value, event_time FROM labels WHERE name = $1 AND ($2::timestamptz IS NULL OR event_time >= $2)
        ORDER BY entity_id COLLATE "C", event_time, label_id
        """;

    // The labels a dataset version pins: those recorded by the time its snapshot was taken.
    // A scoped version's range bounds the label times too: from $3, before $4 (null: unbounded).
    const string LabelsRecordedBySql = """
        SELECT label_id, entity_id, value, event_time FROM labels
        WHERE name = $1 AND recorded_at <= $2 AND ($3::timestamptz IS NULL OR event_time >= $3) AND ($4::timestamptz IS NULL OR event_time < $4)
        ORDER BY entity_id COLLATE "C", event_time, label_id
        """;

    const string EntityObservationsSql = """
        SELECT observation_id, code, value, event_time, known_at FROM feature_observations
        WHERE entity_id = $1 AND event_time <= $2 AND event_time > $3
        """;

    /// <summary>The dataset version as ingestion describes it; <see cref="DatasetVersionNotFoundException"/> when there is none.</summary>
    public Task<DatasetVersionInfo> DescribeDatasetAsync(string datasetVersion, CancellationToken cancellationToken) =>
        datasets.GetAsync(datasetVersion, cancellationToken);

    /// <summary>
    /// Rows for every label named <paramref name="labelName"/>, ordered by entity and label time, with features
    /// computed over an ingestion dataset version: only observations in that immutable snapshot count, and only labels
    /// this service had recorded by the time the snapshot was taken, so the same request returns the same rows forever
    /// — whatever observations or labels arrive later. Nothing is read from or written to the online store. With
    /// <paramref name="labelsFrom"/>, only labels whose event time is at or after it (a recent window). Over a scoped
    /// version (<see cref="DatasetVersionInfo.IsScoped"/>), only labels inside its event-time range and only entities it
    /// holds observations of.
    /// </summary>
    public async IAsyncEnumerable<TrainingRow> BuildFromDatasetAsync(
        string labelName, DatasetVersionInfo dataset, FeatureDefinitions? set, [EnumeratorCancellation] CancellationToken cancellationToken,
        DateTimeOffset? labelsFrom = null)
    {
        set ??= definitions.Value;
        // Labelled entities are asked for a page at a time: a snapshot of the whole raw store holds many entities
        // this label never names, and they are neither sorted nor sent.
        var page = new List<(string EntityId, List<(string Id, double Value, DateTimeOffset Time)> Labels)>(EntitiesPerRequest);
        await foreach (var entity in ReadLabelsByEntityAsync(labelName, dataset.CreatedAt, dataset.LabelsFrom(labelsFrom), dataset.Until, cancellationToken))
        {
            page.Add(entity);
            if (page.Count == EntitiesPerRequest)
            {
                await foreach (var row in RowsForPageAsync(dataset, set, page, cancellationToken))
                {
                    yield return row;
                }

                page.Clear();
            }
        }

        await foreach (var row in RowsForPageAsync(dataset, set, page, cancellationToken))
        {
            yield return row;
        }
    }

    async IAsyncEnumerable<TrainingRow> RowsForPageAsync(
        DatasetVersionInfo dataset, FeatureDefinitions set, List<(string EntityId, List<(string Id, double Value, DateTimeOffset Time)> Labels)> page,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (page.Count == 0)
        {
            yield break;
        }

        var index = 0;
        await foreach (var (entityId, history) in datasets.HistoriesAsync(dataset.Version, page.Select(p => p.EntityId).ToArray(), cancellationToken))
        {
            var labels = page[index++].Labels;
            // A labelled entity missing from a whole-store version has no history (empty features); one missing from a
            // scoped version is outside it (another source, another time).
            if (history is null && dataset.IsScoped)
            {
                continue;
            }

            var observations = history ?? [];
            foreach (var label in labels)
            {
                FeaturesTelemetry.TrainingRows.Add(1, new KeyValuePair<string, object?>("source", "dataset"));
                yield return new TrainingRow(entityId, label.Id, label.Time, label.Value, set.Version,
                    FeatureCalculator.Compute(set, observations, asOf: label.Time, knownAt: label.Time));
            }
        }
    }

    async IAsyncEnumerable<(string EntityId, List<(string Id, double Value, DateTimeOffset Time)> Labels)> ReadLabelsByEntityAsync(
        string labelName, DateTimeOffset recordedBy, DateTimeOffset? labelsFrom, DateTimeOffset? labelsUntil, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(LabelsRecordedBySql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = labelName });
        command.Parameters.Add(new NpgsqlParameter { Value = recordedBy.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)labelsFrom?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)labelsUntil?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        string? entity = null;
        var labels = new List<(string Id, double Value, DateTimeOffset Time)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var entityId = reader.GetString(1);
            if (entity is not null && entityId != entity)
            {
                yield return (entity, labels);
                labels = [];
            }

            entity = entityId;
            labels.Add((reader.GetString(0), reader.GetDouble(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        if (entity is not null)
        {
            yield return (entity, labels);
        }
    }

    /// <summary>
    /// Rows for every label named <paramref name="labelName"/> (at or after <paramref name="labelsFrom"/> when given),
    /// from the feature service's own bitemporal observation store.
    /// </summary>
    public async IAsyncEnumerable<TrainingRow> BuildAsync(
        string labelName, FeatureDefinitions? set, [EnumeratorCancellation] CancellationToken cancellationToken, DateTimeOffset? labelsFrom = null)
    {
        set ??= definitions.Value;
        var version = set.Version;
        await using var labelConnection = await database.OpenConnectionAsync(cancellationToken);
        await using var observationConnection = await database.OpenConnectionAsync(cancellationToken);
        await using var labels = new NpgsqlCommand(LabelsSql, labelConnection);
        labels.Parameters.Add(new NpgsqlParameter { Value = labelName });
        labels.Parameters.Add(new NpgsqlParameter { Value = (object?)labelsFrom?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        await using var reader = await labels.ExecuteReaderAsync(cancellationToken);

        var pending = new List<(string Id, double Value, DateTimeOffset Time)>();
        string? entity = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            var entityId = reader.GetString(1);
            if (entity is not null && entityId != entity)
            {
                await foreach (var row in RowsForEntityAsync(observationConnection, set, version, entity, pending, cancellationToken))
                {
                    yield return row;
                }

                pending.Clear();
            }

            entity = entityId;
            pending.Add((reader.GetString(0), reader.GetDouble(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        if (entity is not null)
        {
            await foreach (var row in RowsForEntityAsync(observationConnection, set, version, entity, pending, cancellationToken))
            {
                yield return row;
            }
        }
    }

    static async IAsyncEnumerable<TrainingRow> RowsForEntityAsync(
        NpgsqlConnection connection, FeatureDefinitions set, string version, string entityId, List<(string Id, double Value, DateTimeOffset Time)> labels,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var observations = new List<ObservationPoint>();
        await using (var command = new NpgsqlCommand(EntityObservationsSql, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = entityId });
            command.Parameters.Add(new NpgsqlParameter { Value = labels[^1].Time });
            command.Parameters.Add(new NpgsqlParameter { Value = labels[0].Time - set.Horizon });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                observations.Add(new ObservationPoint(reader.GetString(0), reader.GetString(1), reader.GetDouble(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4)));
            }
        }

        foreach (var label in labels)
        {
            FeaturesTelemetry.TrainingRows.Add(1, new KeyValuePair<string, object?>("source", "store"));
            yield return new TrainingRow(entityId, label.Id, label.Time, label.Value, version,
                FeatureCalculator.Compute(set, observations, asOf: label.Time, knownAt: label.Time));
        }
    }
}
