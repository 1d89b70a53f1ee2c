using System.Data;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Mlops.Ingestion.Storage;
using Npgsql;

namespace Mlops.Ingestion.Datasets;

/// <summary>
/// Dataset versions: a version records the database snapshot it was taken in, and reading it later returns
/// exactly the rows that snapshot saw — the same rows forever, even though transactions commit out of
/// sequence order and the raw store keeps growing.
/// </summary>
public sealed class DatasetStore(IngestionDatabase database)
{
    const string RowColumns = "o.seq, o.observation_id, o.entity_id, o.entity_type, o.code, o.value, o.category, o.unit, o.event_time, o.recorded_at, o.source_system, o.available_time";

    const string CurrentRowsSql = "SELECT " + RowColumns + """
         FROM observations o
        WHERE ($1::text[] IS NULL OR o.code = ANY($1)) AND ($2::text[] IS NULL OR o.source_system = ANY($2))
          AND ($3::timestamptz IS NULL OR o.event_time >= $3) AND ($4::timestamptz IS NULL OR o.event_time < $4)
        ORDER BY o.seq
        """;

    // A version's rows: visible in its snapshot and inside its scope (codes, sources, event-time range).
    const string VersionJoin = """
         FROM dataset_versions d JOIN observations o
           ON o.seq <= d.max_seq AND pg_visible_in_snapshot(o.inserted_xid, d.snapshot) AND (d.codes IS NULL OR o.code = ANY(d.codes))
          AND (d.sources IS NULL OR o.source_system = ANY(d.sources))
          AND (d.event_from IS NULL OR o.event_time >= d.event_from) AND (d.event_until IS NULL OR o.event_time < d.event_until)

        """;

    const string VersionRowsSql = "SELECT " + RowColumns + VersionJoin + """
        WHERE d.version = $1
        ORDER BY o.seq
        """;

    // Byte order ("C" collation) so consumers can merge-join by entity with ordinal string comparison.
    const string VersionRowsByEntitySql = "SELECT " + RowColumns + VersionJoin + """
        WHERE d.version = $1
        ORDER BY o.entity_id COLLATE "C", o.event_time, o.seq
        """;

    // Only some entities (the index on entity_id serves it), in the same byte order.
    const string VersionRowsOfEntitiesSql = "SELECT " + RowColumns + VersionJoin + """
        WHERE d.version = $1 AND o.entity_id = ANY($2)
        ORDER BY o.entity_id COLLATE "C", o.event_time, o.seq
        """;

    // The version's distinct entities in byte order: what a batch job over the version splits into chunks.
    const string VersionEntitiesSql = "SELECT DISTINCT o.entity_id COLLATE \"C\"" + VersionJoin + """
        WHERE d.version = $1
        ORDER BY 1
        """;

    const string InsertVersionSql = """
        INSERT INTO dataset_versions (version, snapshot, max_seq, row_count, codes, created_by, description, sources, event_from, event_until)
        VALUES ($1, pg_current_snapshot(), $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (version) DO NOTHING
        """;

    const string VersionColumns = "version, row_count, max_seq, codes, created_at, created_by, description, sources, event_from, event_until";

    const string SelectVersionSql = "SELECT " + VersionColumns + " FROM dataset_versions WHERE version = $1";

    const string ListVersionsSql = "SELECT " + VersionColumns + " FROM dataset_versions ORDER BY created_at DESC LIMIT 200";

    /// <summary>
    /// Snapshots the raw store within a scope. Identical scope and content yield the identical version name, so asking
    /// twice without new data returns the existing version.
    /// </summary>
    public async Task<DatasetVersion> CreateAsync(DatasetScope scope, string? createdBy, string? description, CancellationToken cancellationToken)
    {
        scope = scope.Normalized();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        // Repeatable read: the rows hashed here and the snapshot recorded below are the same snapshot.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(ScopeHeader(scope)));
        long count = 0, maxSeq = 0;
        await using (var rows = new NpgsqlCommand(CurrentRowsSql, connection, transaction))
        {
            rows.Parameters.Add(TextArray(scope.Codes));
            rows.Parameters.Add(TextArray(scope.Sources));
            rows.Parameters.Add(Instant(scope.Since));
            rows.Parameters.Add(Instant(scope.Until));
            await using var reader = await rows.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = ReadRow(reader);
                hash.AppendData(Encoding.UTF8.GetBytes(Canonical(row)));
                count++;
                maxSeq = row.Sequence;
            }
        }

        var version = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        await using (var insert = new NpgsqlCommand(InsertVersionSql, connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = version });
            insert.Parameters.Add(new NpgsqlParameter { Value = maxSeq });
            insert.Parameters.Add(new NpgsqlParameter { Value = count });
            insert.Parameters.Add(TextArray(scope.Codes));
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)createdBy ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)description ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            insert.Parameters.Add(TextArray(scope.Sources));
            insert.Parameters.Add(Instant(scope.Since));
            insert.Parameters.Add(Instant(scope.Until));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (await GetAsync(version, cancellationToken))!;
    }

    /// <summary>A version's metadata, or null.</summary>
    public async Task<DatasetVersion?> GetAsync(string version, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(SelectVersionSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = version });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadVersion(reader) : null;
    }

    /// <summary>The newest versions.</summary>
    public async Task<IReadOnlyList<DatasetVersion>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(ListVersionsSql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var versions = new List<DatasetVersion>();
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(ReadVersion(reader));
        }

        return versions;
    }

    /// <summary>
    /// Streams a version's rows (never held in memory), in raw-store order or grouped by entity (byte order of the
    /// entity id, then event time).
    /// </summary>
    public async IAsyncEnumerable<DatasetRow> ReadAsync(string version, bool byEntity, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(byEntity ? VersionRowsByEntitySql : VersionRowsSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = version });
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return ReadRow(reader);
        }
    }

    /// <summary>
    /// Streams the version's rows of the given entities only, grouped by entity (byte order of the entity id, then
    /// event time): what a consumer joining the version to its own entities (labels) reads, rather than the whole snapshot.
    /// </summary>
    public async IAsyncEnumerable<DatasetRow> ReadEntitiesAsync(string version, IReadOnlyList<string> entityIds, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(VersionRowsOfEntitiesSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = version });
        command.Parameters.Add(new NpgsqlParameter { Value = entityIds.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return ReadRow(reader);
        }
    }

    /// <summary>Streams the version's distinct entity ids in byte order (never held in memory).</summary>
    public async IAsyncEnumerable<string> ReadEntityIdsAsync(string version, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(VersionEntitiesSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = version });
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return reader.GetString(0);
        }
    }

    /// <summary>
    /// The first lines of a version's hash. A scope of codes only keeps the single line versions always had, so their
    /// names do not change; sources and an event-time range add a second line.
    /// </summary>
    static string ScopeHeader(DatasetScope scope)
    {
        var header = "codes:" + string.Join(',', scope.Codes ?? ["*"]) + "\n";
        return scope.HasRowScope
            ? header + string.Create(CultureInfo.InvariantCulture,
                $"sources:{string.Join(',', scope.Sources ?? ["*"])};since:{scope.Since?.UtcTicks.ToString(CultureInfo.InvariantCulture) ?? "*"};until:{scope.Until?.UtcTicks.ToString(CultureInfo.InvariantCulture) ?? "*"}\n")
            : header;
    }

    static NpgsqlParameter TextArray(IReadOnlyList<string>? values) =>
        new() { Value = (object?)values?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text };

    static NpgsqlParameter Instant(DateTimeOffset? value) =>
        new() { Value = (object?)value?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz };

    /// <summary>
    /// The line a row contributes to its version's hash. The available time is appended only when present, so a
    /// snapshot of rows without one keeps the name it had before the column existed.
    /// </summary>
    public static string Canonical(DatasetRow row) => row.AvailableTime is { } available
        ? string.Create(CultureInfo.InvariantCulture,
            $"{row.ObservationId}\u001f{row.EntityId}\u001f{row.Code}\u001f{row.Value:R}\u001f{row.Category}\u001f{row.Unit}\u001f{row.EventTime.UtcTicks}\u001f{available.UtcTicks}\n")
        : string.Create(CultureInfo.InvariantCulture,
            $"{row.ObservationId}\u001f{row.EntityId}\u001f{row.Code}\u001f{row.Value:R}\u001f{row.Category}\u001f{row.Unit}\u001f{row.EventTime.UtcTicks}\n");

    static DatasetRow ReadRow(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetDouble(5),
        reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetString(7), reader.GetFieldValue<DateTimeOffset>(8),
        reader.GetFieldValue<DateTimeOffset>(9), reader.GetString(10), reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11));

    static DatasetVersion ReadVersion(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetFieldValue<string[]>(3),
        reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
        reader.IsDBNull(7) ? null : reader.GetFieldValue<string[]>(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
        reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9));
}
