using Mlops.ServiceDefaults;
using Npgsql;
using NpgsqlTypes;

namespace Mlops.Gateway.Security;

/// <summary>The keys in the gateway's own database (table <c>gateway_api_keys</c>); secrets are stored as SHA-256 only.</summary>
public sealed class ApiKeyStore(NpgsqlDataSource dataSource)
{
    const string Ddl = """
        CREATE TABLE IF NOT EXISTS gateway_api_keys (
            id          text PRIMARY KEY,
            name        text NOT NULL,
            roles       text[] NOT NULL,
            secret_hash bytea NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now(),
            created_by  text,
            revoked_at  timestamptz
        );
        """;

    const string Columns = "id, name, roles, secret_hash, created_at, created_by, revoked_at";

    readonly DatabaseSchema _schema = new(dataSource, Ddl, advisoryLockKey: 0x6761_7465_6b65_7973);

    /// <summary>Stores a new key; false when the id is taken (the caller draws another).</summary>
    public async Task<bool> TryInsertAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        await using var connection = await _schema.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "INSERT INTO gateway_api_keys (id, name, roles, secret_hash, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
            connection);
        AddKeyParameters(command, key);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Records the bootstrap key from configuration. An existing row keeps its revocation: revoking the bootstrap key
    /// holds across restarts until <c>MLOPS_API_KEY</c> is rotated (a new key has a new id).
    /// </summary>
    public async Task UpsertBootstrapAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        await using var connection = await _schema.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO gateway_api_keys (id, name, roles, secret_hash, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, roles = EXCLUDED.roles, secret_hash = EXCLUDED.secret_hash
            """,
            connection);
        AddKeyParameters(command, key);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<ApiKeyRecord?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await _schema.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM gateway_api_keys WHERE id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _schema.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM gateway_api_keys ORDER BY created_at, id", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<ApiKeyRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(Read(reader));
        }

        return keys;
    }

    /// <summary>Marks a key revoked (the first revocation's time stays); null when there is no such key.</summary>
    public async Task<ApiKeyRecord?> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await _schema.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"UPDATE gateway_api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING {Columns}", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = at.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    static void AddKeyParameters(NpgsqlCommand command, ApiKeyRecord key)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = key.Id, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = key.Name, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = key.Roles.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = key.Hash, NpgsqlDbType = NpgsqlDbType.Bytea });
        command.Parameters.Add(new NpgsqlParameter { Value = key.CreatedAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)key.CreatedBy ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
    }

    static ApiKeyRecord Read(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetFieldValue<string[]>(2),
        reader.GetFieldValue<byte[]>(3),
        reader.GetFieldValue<DateTimeOffset>(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6));
}
