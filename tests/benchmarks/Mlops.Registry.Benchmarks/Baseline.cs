using Npgsql;

namespace Mlops.Registry.Benchmarks;

/// <summary>
/// The baseline: what PostgreSQL does with the same rows and no Marten around them — a plain table, one
/// INSERT per transaction, and plain SELECTs that read the JSON as text without deserializing it.
/// </summary>
internal sealed class Baseline(NpgsqlDataSource dataSource, string schema)
{
    string Table => "\"" + schema + "\".raw_rows";

    public async Task CreateAsync()
    {
        await using var create = dataSource.CreateCommand(
            $"CREATE TABLE {Table} (position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, stream_id text NOT NULL, version bigint NOT NULL, data jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        await create.ExecuteNonQueryAsync();
        await using var index = dataSource.CreateCommand($"CREATE INDEX ON {Table} (stream_id, version)");
        await index.ExecuteNonQueryAsync();
    }

    public async Task InsertAsync(string streamId, long version, string json)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var insert = new NpgsqlCommand($"INSERT INTO {Table} (stream_id, version, data) VALUES ($1, $2, $3::jsonb)", connection, transaction);
        insert.Parameters.Add(new NpgsqlParameter { Value = streamId });
        insert.Parameters.Add(new NpgsqlParameter { Value = version });
        insert.Parameters.Add(new NpgsqlParameter { Value = json });
        await insert.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }

    /// <summary>Rows with the given versions and append times (one statement), for the long stream.</summary>
    public async Task InsertRowsAsync(string streamId, long[] versions, DateTimeOffset[] recordedAt, string json)
    {
        await using var insert = dataSource.CreateCommand(
            $"INSERT INTO {Table} (stream_id, version, data, recorded_at) SELECT $1, r.v, $2::jsonb, r.t FROM unnest($3::bigint[], $4::timestamptz[]) AS r(v, t)");
        insert.Parameters.Add(new NpgsqlParameter { Value = streamId });
        insert.Parameters.Add(new NpgsqlParameter { Value = json });
        insert.Parameters.Add(new NpgsqlParameter { Value = versions });
        insert.Parameters.Add(new NpgsqlParameter { Value = recordedAt.Select(t => t.ToUniversalTime()).ToArray() });
        await insert.ExecuteNonQueryAsync();
    }

    public async Task<int> ReadAsync(string streamId, DateTimeOffset? asOf)
    {
        await using var select = dataSource.CreateCommand(
            $"SELECT position, version, data::text, recorded_at FROM {Table} WHERE stream_id = $1 AND ($2::timestamptz IS NULL OR recorded_at <= $2) ORDER BY version");
        select.Parameters.Add(new NpgsqlParameter { Value = streamId });
        select.Parameters.Add(new NpgsqlParameter { Value = asOf is { } t ? t.ToUniversalTime() : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        var rows = 0;
        await using var reader = await select.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            _ = reader.GetString(2);
            rows++;
        }

        return rows;
    }
}
