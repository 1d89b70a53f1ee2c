using System.Text.Json;
using Mlops.EventStore;
using Mlops.EventStore.Projections;
using Mlops.Registry.Domain;
using Npgsql;

namespace Mlops.Registry.Application;

/// <summary>
/// The current state of every model as one row, written in the append's transaction (never behind the events):
/// the list endpoint reads it, and tests compare it with a replay of the stream.
/// </summary>
public sealed class ModelCatalogProjection(EventStoreSchema schema) : IInlineProjection
{
    string Table => "\"" + schema.Name + "\".registry_models";

    public async Task EnsureSchemaAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var create = new NpgsqlCommand(
            $"CREATE TABLE IF NOT EXISTS {Table} (name text PRIMARY KEY, revision bigint NOT NULL, champion text NULL, state jsonb NOT NULL, updated_at timestamptz NOT NULL)",
            connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken)
    {
        const string prefix = "model-";
        if (!events[0].StreamId.StartsWith(prefix, StringComparison.Ordinal))
        {
            return;
        }

        var name = events[0].StreamId[prefix.Length..];
        ModelState state;
        await using (var select = new NpgsqlCommand($"SELECT state::text FROM {Table} WHERE name = $1 FOR UPDATE", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = name });
            state = await select.ExecuteScalarAsync(cancellationToken) is string json
                ? JsonSerializer.Deserialize<ModelState>(json, EventTypeRegistry.SerializerOptions)!
                : new ModelState { Name = name };
        }

        foreach (var e in events)
        {
            state.Apply(e);
        }

        await using var upsert = new NpgsqlCommand(
            $"""
            INSERT INTO {Table} (name, revision, champion, state, updated_at) VALUES ($1, $2, $3, $4::jsonb, $5)
            ON CONFLICT (name) DO UPDATE SET revision = excluded.revision, champion = excluded.champion, state = excluded.state, updated_at = excluded.updated_at
            """, connection, transaction);
        upsert.Parameters.Add(new NpgsqlParameter { Value = name });
        upsert.Parameters.Add(new NpgsqlParameter { Value = state.Revision });
        upsert.Parameters.Add(new NpgsqlParameter { Value = (object?)state.VersionOf("champion") ?? DBNull.Value });
        upsert.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(state, EventTypeRegistry.SerializerOptions) });
        upsert.Parameters.Add(new NpgsqlParameter { Value = state.UpdatedAt!.Value });
        await upsert.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ModelSummary>> ListAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var select = dataSource.CreateCommand($"SELECT name, revision, champion, updated_at FROM {Table} ORDER BY name");
        var models = new List<ModelSummary>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            models.Add(new ModelSummary(reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return models;
    }

    public async Task<string?> StoredStateJsonAsync(NpgsqlDataSource dataSource, string name, CancellationToken cancellationToken)
    {
        await using var select = dataSource.CreateCommand($"SELECT state::text FROM {Table} WHERE name = $1");
        select.Parameters.Add(new NpgsqlParameter { Value = name });
        return await select.ExecuteScalarAsync(cancellationToken) as string;
    }
}

public sealed record ModelSummary(string Name, long Revision, string? Champion, DateTimeOffset UpdatedAt);
