using System.Runtime.CompilerServices;
using Mlops.Features.Computation;
using Mlops.Features.Definitions;
using Mlops.Features.Storage;
using Npgsql;

namespace Mlops.Features.TrainingSets;

/// <summary>
/// One scoring row of a dataset version: an entity's features at a time, as known at that time; <c>LabelId</c> names
/// the label whose time it is when the rows are at label times.
/// </summary>
public sealed record DatasetVectorRow(string EntityId, DateTimeOffset Time, string? LabelId, string FeatureSetVersion, IReadOnlyDictionary<string, double?> Features);

/// <summary>
/// Vectors of some entities of an ingestion dataset version at given times, or at every time a label of theirs names:
/// computed from the version's immutable snapshot through the same calculator and with the same point-in-time rule as
/// <see cref="PointInTimeTrainingSet.BuildFromDatasetAsync"/> (as of t, known by t), so a batch job's rows are the
/// rows a training run over the version would see — and the same request returns the same rows forever.
/// </summary>
public sealed class DatasetVectors(FeatureDatabase database, IngestionDatasetClient datasets)
{
    /// <summary>Entities one request may name: what ingestion answers per rows query.</summary>
    public const int MaxEntities = 1000;

    // The labels a dataset version pins (recorded by its snapshot, inside its event-time range), of these entities, in
    // byte order of the entity: the labels a training set over the version takes.
    const string LabelsSql = """
        SELECT label_id, entity_id, event_time FROM labels
        WHERE name = $1 AND recorded_at <= $2 AND entity_id = ANY($3)
          AND ($4::timestamptz IS NULL OR event_time >= $4) AND ($5::timestamptz IS NULL OR event_time < $5)
        ORDER BY entity_id COLLATE "C", event_time, label_id
        """;

    /// <summary>The dataset version as ingestion describes it; <see cref="DatasetVersionNotFoundException"/> when there is none.</summary>
    public Task<DatasetVersionInfo> DescribeAsync(string datasetVersion, CancellationToken cancellationToken) => datasets.GetAsync(datasetVersion, cancellationToken);

    /// <summary>The version's distinct entities in byte order.</summary>
    public IAsyncEnumerable<string> EntitiesAsync(string datasetVersion, CancellationToken cancellationToken) =>
        datasets.ReadEntityIdsAsync(datasetVersion, cancellationToken);

    /// <summary>
    /// Rows for every entity of <paramref name="entityIds"/> (byte order) at each of <paramref name="times"/>, or — when
    /// <paramref name="labelName"/> is given — at each time a label of that name recorded by the snapshot names.
    /// An entity the snapshot does not hold gets rows from an empty history at given times; at label times, as in a
    /// training set, it gets none from a scoped version.
    /// </summary>
    public async IAsyncEnumerable<DatasetVectorRow> ComputeAsync(
        DatasetVersionInfo dataset, FeatureDefinitions set, IReadOnlyList<string> entityIds, IReadOnlyList<DateTimeOffset>? times, string? labelName,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var ordered = entityIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var labels = labelName is null ? null : await LabelTimesAsync(labelName, dataset, ordered, cancellationToken);
        var sortedTimes = times?.Distinct().Order().ToArray() ?? [];
        await foreach (var (entityId, history) in datasets.HistoriesAsync(dataset.Version, ordered, cancellationToken))
        {
            if (history is null && labels is not null && dataset.IsScoped)
            {
                continue;
            }

            var observations = history ?? [];
            IEnumerable<(DateTimeOffset Time, string? LabelId)> at = labels is null
                ? sortedTimes.Select(t => (t, (string?)null))
                : labels.GetValueOrDefault(entityId) ?? [];
            foreach (var (time, labelId) in at)
            {
                FeaturesTelemetry.TrainingRows.Add(1, new KeyValuePair<string, object?>("source", "batch"));
                yield return new DatasetVectorRow(entityId, time, labelId, set.Version, FeatureCalculator.Compute(set, observations, asOf: time, knownAt: time));
            }
        }
    }

    async Task<Dictionary<string, List<(DateTimeOffset Time, string? LabelId)>>> LabelTimesAsync(
        string labelName, DatasetVersionInfo dataset, string[] entityIds, CancellationToken cancellationToken)
    {
        var byEntity = new Dictionary<string, List<(DateTimeOffset, string?)>>(StringComparer.Ordinal);
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(LabelsSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = labelName });
        command.Parameters.Add(new NpgsqlParameter { Value = dataset.CreatedAt.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter { Value = entityIds, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)dataset.Since?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)dataset.Until?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var entityId = reader.GetString(1);
            if (!byEntity.TryGetValue(entityId, out var list))
            {
                byEntity[entityId] = list = [];
            }

            list.Add((reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(0)));
        }

        return byEntity;
    }
}
