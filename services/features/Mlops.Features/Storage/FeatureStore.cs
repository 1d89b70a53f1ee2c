using System.Text.Json;
using Mlops.Contracts.Features;
using Mlops.Features.Computation;
using Npgsql;
using NpgsqlTypes;

namespace Mlops.Features.Storage;

/// <summary>A stored feature vector.</summary>
public sealed record StoredVector(
    string EntityId, string FeatureSetVersion, DateTimeOffset EventTime, DateTimeOffset ComputedAt, IReadOnlyDictionary<string, double?> Values, string? TriggeringObservationId)
{
    /// <summary>Latest known-at of the observations behind the vector (see <see cref="Computation.VectorLineage"/>); null when not recorded.</summary>
    public DateTimeOffset? KnownAt { get; init; }

    /// <summary>Ids of the observations behind the vector; null when not recorded.</summary>
    public IReadOnlyList<string>? ObservationIds { get; init; }
}

/// <summary>Reads and writes observations, vectors and labels; every write can join the caller's transaction.</summary>
public sealed class FeatureStore(FeatureDatabase database)
{
    const string InsertObservationsSql = """
        INSERT INTO feature_observations (observation_id, entity_id, code, value, event_time, recorded_at, available_time)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[])
        ON CONFLICT (observation_id) DO NOTHING
        RETURNING entity_id, observation_id, code, value, event_time, known_at
        """;

    // The outer entity filter repeats what the join implies: without it the planner, misjudging how many entities the
    // aggregate yields, hashes the join against a scan of the whole table (900 ms at 1.9 million observations, 9 ms so).
    const string EntityWindowsSql = """
        SELECT f.entity_id, f.observation_id, f.code, f.value, f.event_time, f.known_at
        FROM feature_observations f
        JOIN (SELECT entity_id, max(event_time) AS newest FROM feature_observations WHERE entity_id = ANY($1) GROUP BY entity_id) m
          ON m.entity_id = f.entity_id
        WHERE f.entity_id = ANY($1) AND f.event_time > m.newest - $2
        """;

    const string UpsertOnlineSql = """
        INSERT INTO online_vectors (entity_id, feature_set_version, event_time, computed_at, feature_values, triggering_observation_id, known_at, observation_ids)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (entity_id, feature_set_version) DO UPDATE
        SET event_time = EXCLUDED.event_time, computed_at = EXCLUDED.computed_at, feature_values = EXCLUDED.feature_values,
            triggering_observation_id = EXCLUDED.triggering_observation_id, known_at = EXCLUDED.known_at,
            observation_ids = EXCLUDED.observation_ids, version = nextval('online_vector_versions')
        """;

    const string AppendHistorySql = """
        INSERT INTO vector_history (entity_id, feature_set_version, event_time, known_at, feature_values, source)
        VALUES ($1, $2, $3, $4, $5, $6)
        """;

    const string OnlineSql = """
        SELECT entity_id, feature_set_version, event_time, computed_at, feature_values::text, triggering_observation_id, version, known_at, observation_ids
        FROM online_vectors WHERE entity_id = $1 AND feature_set_version = $2
        """;

    const string InsertLabelSql = """
        INSERT INTO labels (label_id, entity_id, name, value, event_time, prediction_id, publish_pending) VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (label_id) DO NOTHING
        """;

    /// <summary>JSON options of stored vectors.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Adds many observations in one statement (repeats are ignored); <c>known_at</c> follows from the two times.
    /// Returns the rows actually inserted, by entity, as stored (times at the database's precision).
    /// </summary>
    public static async Task<Dictionary<string, List<ObservationPoint>>> AddObservationsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<StoredObservation> rows, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(InsertObservationsSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.ObservationId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.EntityId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Code).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Value).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.EventTime).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.RecordedAt).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.AvailableTime).ToArray() });
        return await ReadPointsByEntityAsync(command, cancellationToken);
    }

    // Rows of (entity_id, observation_id, code, value, event_time, known_at), grouped by entity.
    static async Task<Dictionary<string, List<ObservationPoint>>> ReadPointsByEntityAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var byEntity = new Dictionary<string, List<ObservationPoint>>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var entityId = reader.GetString(0);
            if (!byEntity.TryGetValue(entityId, out var points))
            {
                byEntity[entityId] = points = [];
            }

            points.Add(new ObservationPoint(reader.GetString(1), reader.GetString(2), reader.GetDouble(3), reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return byEntity;
    }

    /// <summary>For each entity, its observations within <paramref name="horizon"/> of its newest event time, in one query.</summary>
    public static async Task<Dictionary<string, List<ObservationPoint>>> LoadEntityWindowsAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string[] entityIds, TimeSpan horizon, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(EntityWindowsSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = entityIds });
        command.Parameters.Add(new NpgsqlParameter { Value = horizon });
        return await ReadPointsByEntityAsync(command, cancellationToken);
    }

    /// <summary>Replaces the entity's online vector and appends it to the history (known from <see cref="StoredVector.ComputedAt"/>).</summary>
    public static Task SaveVectorAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StoredVector vector, string source, CancellationToken cancellationToken) =>
        SaveVectorsAsync(connection, transaction, [vector], source, cancellationToken);

    /// <summary>Saves many vectors in one round trip.</summary>
    public static async Task SaveVectorsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<StoredVector> vectors, string source, CancellationToken cancellationToken)
    {
        if (vectors.Count == 0)
        {
            return;
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var vector in vectors)
        {
            foreach (var command in VectorCommands(vector, source))
            {
                batch.BatchCommands.Add(command);
            }
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    static NpgsqlBatchCommand[] VectorCommands(StoredVector vector, string source)
    {
        var values = new NpgsqlParameter { Value = JsonSerializer.Serialize(vector.Values, Json), NpgsqlDbType = NpgsqlDbType.Jsonb };
        return
        [
                new NpgsqlBatchCommand(UpsertOnlineSql)
                {
                    Parameters =
                    {
                        new() { Value = vector.EntityId }, new() { Value = vector.FeatureSetVersion }, new() { Value = vector.EventTime },
                        new() { Value = vector.ComputedAt }, values, new() { Value = (object?)vector.TriggeringObservationId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                        new() { Value = (object?)vector.KnownAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                        new() { Value = (object?)vector.ObservationIds?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                    },
                },
                new NpgsqlBatchCommand(AppendHistorySql)
                {
                    Parameters =
                    {
                        new() { Value = vector.EntityId }, new() { Value = vector.FeatureSetVersion }, new() { Value = vector.EventTime },
                        new() { Value = vector.ComputedAt }, values.Clone(), new() { Value = source },
                    },
                },
        ];
    }

    /// <summary>The stored online vector with its row version (see <c>online_vector_versions</c>), or null.</summary>
    public async Task<(StoredVector Vector, long Version)?> GetOnlineAsync(string entityId, string featureSetVersion, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(OnlineSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = entityId });
        command.Parameters.Add(new NpgsqlParameter { Value = featureSetVersion });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return (new StoredVector(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3),
            JsonSerializer.Deserialize<Dictionary<string, double?>>(reader.GetString(4), Json)!, reader.IsDBNull(5) ? null : reader.GetString(5))
        {
            KnownAt = reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
            ObservationIds = reader.IsDBNull(8) ? null : reader.GetFieldValue<string[]>(8),
        }, reader.GetInt64(6));
    }

    /// <summary>
    /// Stores a label (a repeat of its id is ignored). Returns false for a repeat. <paramref name="publish"/>: the label
    /// came over HTTP and must still go out on the labels topic (<see cref="Labels.LabelPublisher"/>), in the same row
    /// so a crash cannot lose it.
    /// </summary>
    public async Task<bool> AddLabelAsync(LabelRecorded label, bool publish, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(InsertLabelSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = label.LabelId });
        command.Parameters.Add(new NpgsqlParameter { Value = label.EntityId });
        command.Parameters.Add(new NpgsqlParameter { Value = label.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = label.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = label.EventTime });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)label.PredictionId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = publish });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
