using System.Text.Json;
using Mlops.Features.Storage;
using Mlops.ServiceDefaults.Registrations;
using Npgsql;
using NpgsqlTypes;

namespace Mlops.Features.Definitions;

/// <summary>One stored registration of a definition set (its version is the content hash, as for the shipped set).</summary>
public sealed record RegisteredFeatureSet(long Seq, string Name, string Version, FeatureDefinitions Definitions, DateTimeOffset RegisteredAt, string? RegisteredBy);

/// <summary>
/// Definition sets registered through the API, in the features database, append-only: a change is a new row, the old
/// ones stay readable (and usable by version for training sets). Every replica reads the same table.
/// </summary>
public sealed class RegisteredFeatureSetStore(FeatureDatabase database) : IRegistrationStore<RegisteredFeatureSet>
{
    const string Columns = "seq, name, version, definition::text, registered_at, registered_by";

    const string CurrentSql = $"SELECT DISTINCT ON (name) {Columns} FROM feature_set_versions ORDER BY name, seq DESC";

    const string StampSql = "SELECT coalesce(max(seq), 0) FROM feature_set_versions";

    const string VersionsSql = $"SELECT {Columns} FROM feature_set_versions WHERE name = $1 ORDER BY seq";

    const string ByVersionSql = $"SELECT {Columns} FROM feature_set_versions WHERE version = $1 ORDER BY seq LIMIT 1";

    const string LatestSql = $"SELECT {Columns} FROM feature_set_versions WHERE name = $1 ORDER BY seq DESC LIMIT 1";

    // Registrations of one name are serialised, so two replicas registering the same body at once store it once.
    const string LockSql = "SELECT pg_advisory_xact_lock(727274021, hashtext($1))";

    const string InsertSql = "INSERT INTO feature_set_versions (name, version, definition, registered_by) VALUES ($1, $2, $3, $4) RETURNING seq, registered_at";

    /// <summary>A number that changes whenever any set is registered (for cheap change detection).</summary>
    public async Task<long> StampAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(StampSql, connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The newest registration of every name.</summary>
    public async Task<IReadOnlyList<RegisteredFeatureSet>> LoadCurrentAsync(CancellationToken cancellationToken) =>
        await QueryAsync(CurrentSql, null, cancellationToken);

    /// <summary>Every registration of one name, oldest first.</summary>
    public async Task<IReadOnlyList<RegisteredFeatureSet>> VersionsAsync(string name, CancellationToken cancellationToken) =>
        await QueryAsync(VersionsSql, name, cancellationToken);

    /// <summary>The definitions of a registered version (current or not), or null.</summary>
    public async Task<RegisteredFeatureSet?> FindVersionAsync(string version, CancellationToken cancellationToken) =>
        (await QueryAsync(ByVersionSql, version, cancellationToken)).FirstOrDefault();

    /// <summary>
    /// Stores <paramref name="set"/> as the name's newest registration, unless its version (content hash) equals the
    /// newest one's — then that one is returned and <c>Created</c> is false, so repeating a registration is harmless.
    /// </summary>
    public async Task<(RegisteredFeatureSet Set, bool Created)> RegisterAsync(FeatureDefinitions set, string? registeredBy, CancellationToken cancellationToken)
    {
        var version = set.Version;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand(LockSql, connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = set.Name });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var latest = new NpgsqlCommand(LatestSql, connection, transaction))
        {
            latest.Parameters.Add(new NpgsqlParameter { Value = set.Name });
            if (await ReadAsync(latest, cancellationToken) is [var current] && current.Version == version)
            {
                return (current, false);
            }
        }

        long seq;
        DateTimeOffset registeredAt;
        await using (var insert = new NpgsqlCommand(InsertSql, connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = set.Name });
            insert.Parameters.Add(new NpgsqlParameter { Value = version });
            insert.Parameters.Add(new NpgsqlParameter { Value = Serialize(set), NpgsqlDbType = NpgsqlDbType.Jsonb });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)registeredBy ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            seq = reader.GetInt64(0);
            registeredAt = reader.GetFieldValue<DateTimeOffset>(1);
        }

        await transaction.CommitAsync(cancellationToken);
        return (new RegisteredFeatureSet(seq, set.Name, version, set, registeredAt, registeredBy), true);
    }

    /// <summary>The configuration file's shape (what the API accepts), without the derived members.</summary>
    public static object Shape(FeatureDefinitions set) =>
        new { set.Name, set.EntityType, set.EarlyWarningScore, set.LatestVitalsWindow, set.Aggregations, set.Ratios };

    static string Serialize(FeatureDefinitions set) => JsonSerializer.Serialize(Shape(set), FeatureStore.Json);

    async Task<List<RegisteredFeatureSet>> QueryAsync(string sql, string? parameter, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        if (parameter is not null)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return await ReadAsync(command, cancellationToken);
    }

    static async Task<List<RegisteredFeatureSet>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var sets = new List<RegisteredFeatureSet>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var definitions = JsonSerializer.Deserialize<FeatureDefinitions>(reader.GetString(3), FeatureStore.Json)!;
            definitions.Name = reader.GetString(1);
            sets.Add(new RegisteredFeatureSet(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), definitions, reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetString(5)));
        }

        return sets;
    }
}
