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

    const string EntityWindowsSql = """
        SELECT f.entity_id, f.observation_id, f.code, f.value, f.event_time, f.known_at
        FROM feature_observations f
        JOIN (SELECT entity_id, max(event_time) AS newest FROM feature_observations WHERE entity_id = ANY($1) GROUP BY entity_id) m
          ON m.entity_id = f.entity_id
        WHERE f.event_time > m.newest - $2
        """;

    // One statement per table for a whole batch of vectors: rows come in as parallel arrays (unnest), so the cost is a
    // round trip and two plans, not two statements per vector. A vector's observation ids travel as one JSON array each
    // (arrays of unequal length cannot be a column of a 2-D array); the order of the ids is kept.
    const string UpsertOnlineSql = """
        INSERT INTO online_vectors (entity_id, feature_set_version, event_time, computed_at, feature_values, triggering_observation_id, known_at, observation_ids)
        SELECT v.entity_id, v.version, v.event_time, v.computed_at, v.feature_values::jsonb, v.triggering, v.known_at,
               CASE WHEN v.ids IS NULL THEN NULL
                    ELSE ARRAY(SELECT e.id FROM jsonb_array_elements_text(v.ids::jsonb) WITH ORDINALITY AS e(id, n) ORDER BY e.n) END
        FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::text[], $7::timestamptz[], $8::text[])
            AS v(entity_id, version, event_time, computed_at, feature_values, triggering, known_at, ids)
        ON CONFLICT (entity_id, feature_set_version) DO UPDATE
        SET event_time = EXCLUDED.event_time, computed_at = EXCLUDED.computed_at, feature_values = EXCLUDED.feature_values,
            triggering_observation_id = EXCLUDED.triggering_observation_id, known_at = EXCLUDED.known_at,
            observation_ids = EXCLUDED.observation_ids, version = nextval('online_vector_versions')
        """;

    const string AppendHistorySql = """
        INSERT INTO vector_history (entity_id, feature_set_version, event_time, known_at, feature_values, source)
        SELECT v.entity_id, v.version, v.event_time, v.known_at, v.feature_values::jsonb, $6
        FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[]) WITH ORDINALITY AS v(entity_id, version, event_time, known_at, feature_values, n)
        ORDER BY v.n
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
    /// Adds many observations in one statement (repeats are ignored); <c>known_at</c> follows from the two times. Returns
    /// the rows really inserted, per entity, as the database stores them (times at its precision), so a caller that keeps
    /// windows in memory holds exactly what a read of the table would give.
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
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadPointsAsync(reader, cancellationToken);
    }

    /// <summary>For each entity, its observations within <paramref name="horizon"/> of its newest event time, in one query.</summary>
    public static async Task<Dictionary<string, List<ObservationPoint>>> LoadEntityWindowsAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string[] entityIds, TimeSpan horizon, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(EntityWindowsSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = entityIds });
        command.Parameters.Add(new NpgsqlParameter { Value = horizon });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadPointsAsync(reader, cancellationToken);
    }

    // Rows of (entity_id, observation_id, code, value, event_time, known_at), grouped by entity.
    static async Task<Dictionary<string, List<ObservationPoint>>> ReadPointsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var windows = new Dictionary<string, List<ObservationPoint>>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var entityId = reader.GetString(0);
            if (!windows.TryGetValue(entityId, out var points))
            {
                windows[entityId] = points = [];
            }

            points.Add(new ObservationPoint(reader.GetString(1), reader.GetString(2), reader.GetDouble(3), reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return windows;
    }

    /// <summary>Replaces the entity's online vector and appends it to the history (known from <see cref="StoredVector.ComputedAt"/>).</summary>
    public static Task SaveVectorAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StoredVector vector, string source, CancellationToken cancellationToken) =>
        SaveVectorsAsync(connection, transaction, [vector], source, cancellationToken);

    /// <summary>
    /// Saves many vectors in one round trip: one multi-row upsert of the online store and one multi-row append to the
    /// history. A vector repeated for the same entity and set keeps the last one online (as writing them one by one
    /// would); the history gets every one, in order.
    /// </summary>
    public static async Task SaveVectorsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<StoredVector> vectors, string source, CancellationToken cancellationToken)
    {
        if (vectors.Count == 0)
        {
            return;
        }

        var values = new string[vectors.Count];
        for (var i = 0; i < vectors.Count; i++)
        {
            values[i] = JsonSerializer.Serialize(vectors[i].Values, Json);
        }

        // ON CONFLICT may not touch a row twice in one statement, so only the last vector of each key goes online.
        var last = new Dictionary<(string, string), int>();
        for (var i = 0; i < vectors.Count; i++)
        {
            last[(vectors[i].EntityId, vectors[i].FeatureSetVersion)] = i;
        }

        var online = last.Values.Order().ToArray();
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(UpsertOnlineSql)
        {
            Parameters =
            {
                TextArray(online.Select(i => vectors[i].EntityId)),
                TextArray(online.Select(i => vectors[i].FeatureSetVersion)),
                TimeArray(online.Select(i => (DateTimeOffset?)vectors[i].EventTime)),
                TimeArray(online.Select(i => (DateTimeOffset?)vectors[i].ComputedAt)),
                TextArray(online.Select(i => values[i])),
                TextArray(online.Select(i => vectors[i].TriggeringObservationId)),
                TimeArray(online.Select(i => vectors[i].KnownAt)),
                TextArray(online.Select(i => vectors[i].ObservationIds is { } ids ? JsonSerializer.Serialize(ids, Json) : null)),
            },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(AppendHistorySql)
        {
            Parameters =
            {
                TextArray(vectors.Select(v => v.EntityId)),
                TextArray(vectors.Select(v => v.FeatureSetVersion)),
                TimeArray(vectors.Select(v => (DateTimeOffset?)v.EventTime)),
                // The history's known-at is when the vector was computed (what a point-in-time read of it may see).
                TimeArray(vectors.Select(v => (DateTimeOffset?)v.ComputedAt)),
                TextArray(values),
                new NpgsqlParameter { Value = source, NpgsqlDbType = NpgsqlDbType.Text },
            },
        });
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    static NpgsqlParameter TextArray(IEnumerable<string?> values) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    static NpgsqlParameter TimeArray(IEnumerable<DateTimeOffset?> values) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz };

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
