using System.Text.Json;
using Mlops.Ingestion.Storage;
using Mlops.Kafka;
using Mlops.ServiceDefaults.Registrations;
using Npgsql;

namespace Mlops.Ingestion.Schemas;

/// <summary>One stored version of a schema registered at run time.</summary>
public sealed record RegisteredSchema(string Code, int Version, ObservationSchema Schema, DateTimeOffset RegisteredAt, string? RegisteredBy);

/// <summary>
/// Schemas registered through the API, versioned per code in ingestion's own database (append-only: a change is a new
/// version, the old ones stay readable). Every replica reads the same table, so a registration reaches them all.
/// </summary>
public sealed class RegisteredSchemaStore(IngestionDatabase database) : IRegistrationStore<RegisteredSchema>
{
    const string CurrentSql = """
        SELECT DISTINCT ON (code) code, version, definition::text, registered_at, registered_by
        FROM observation_schema_versions ORDER BY code, version DESC
        """;

    const string StampSql = "SELECT coalesce(max(seq), 0) FROM observation_schema_versions";

    const string VersionsSql = "SELECT code, version, definition::text, registered_at, registered_by FROM observation_schema_versions WHERE code = $1 ORDER BY version";

    // Versions of one code are numbered under a lock on that code, so two replicas registering at once get 1 and 2, not a conflict.
    const string LockSql = "SELECT pg_advisory_xact_lock(727274011, hashtext($1))";

    const string LatestSql = """
        SELECT code, version, definition::text, registered_at, registered_by FROM observation_schema_versions
        WHERE code = $1 ORDER BY version DESC LIMIT 1
        """;

    const string InsertSql = """
        INSERT INTO observation_schema_versions (code, version, definition, registered_by) VALUES ($1, $2, $3, $4)
        RETURNING registered_at
        """;

    /// <summary>JSON of stored definitions: the configuration file's shape, enums as names.</summary>
    public static JsonSerializerOptions Json => EnvelopeSerializer.Options;

    /// <summary>A number that changes whenever any schema is registered (for cheap change detection).</summary>
    public async Task<long> StampAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(StampSql, connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The newest version of every registered code.</summary>
    public async Task<IReadOnlyList<RegisteredSchema>> LoadCurrentAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(CurrentSql, connection);
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>Every version of one code, oldest first.</summary>
    public async Task<IReadOnlyList<RegisteredSchema>> VersionsAsync(string code, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(VersionsSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = code });
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>
    /// Stores <paramref name="schema"/> as the code's next version, unless it equals the newest one (then that one is
    /// returned and <c>Created</c> is false), so repeating a registration is harmless.
    /// </summary>
    public async Task<(RegisteredSchema Schema, bool Created)> RegisterAsync(string code, ObservationSchema schema, string? registeredBy, CancellationToken cancellationToken)
    {
        schema.Code = code;
        var definition = Canonical(schema);
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand(LockSql, connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = code });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        var version = 1;
        await using (var latest = new NpgsqlCommand(LatestSql, connection, transaction))
        {
            latest.Parameters.Add(new NpgsqlParameter { Value = code });
            if ((await ReadAsync(latest, cancellationToken)) is [var current])
            {
                if (Canonical(current.Schema) == definition)
                {
                    return (current, false);
                }

                version = current.Version + 1;
            }
        }

        DateTimeOffset registeredAt;
        await using (var insert = new NpgsqlCommand(InsertSql, connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = code });
            insert.Parameters.Add(new NpgsqlParameter { Value = version });
            insert.Parameters.Add(new NpgsqlParameter { Value = definition, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)registeredBy ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            registeredAt = reader.GetFieldValue<DateTimeOffset>(0);
        }

        await transaction.CommitAsync(cancellationToken);
        return (new RegisteredSchema(code, version, schema, registeredAt, registeredBy), true);
    }

    static async Task<IReadOnlyList<RegisteredSchema>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var schemas = new List<RegisteredSchema>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var code = reader.GetString(0);
            schemas.Add(new RegisteredSchema(code, reader.GetInt32(1), Parse(code, reader.GetString(2)), reader.GetFieldValue<DateTimeOffset>(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return schemas;
    }

    // PostgreSQL's jsonb does not keep key order, so the comparison sorts conversions by unit.
    static string Canonical(ObservationSchema schema) => JsonSerializer.Serialize(new
    {
        schema.Code, schema.Display, schema.EntityType, schema.ValueType, schema.Unit,
        Conversions = new SortedDictionary<string, UnitConversion>(schema.Conversions, StringComparer.Ordinal),
        schema.Min, schema.Max, schema.Categories,
    }, Json);

    static ObservationSchema Parse(string code, string definition)
    {
        var schema = JsonSerializer.Deserialize<ObservationSchema>(definition, Json)!;
        schema.Code = code;
        return schema;
    }
}
