using Npgsql;
using NpgsqlTypes;

namespace Mlops.Training.Pipeline;

/// <summary>
/// What each step hands to the next, in the training database (<c>training_run_workspace</c>), so any process can
/// run a run's next step: after a restart, or on another replica.
/// </summary>
public sealed class WorkspaceStore(NpgsqlDataSource dataSource)
{
    /// <summary>Writes a step's outputs in one transaction (a redelivered step overwrites them).</summary>
    public async Task SaveAsync(Guid runId, string step, IReadOnlyDictionary<string, byte[]> items, CancellationToken cancellationToken)
    {
        if (items.Count == 0)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var (name, content) in items)
        {
            await using var command = new NpgsqlCommand("""
                INSERT INTO training_run_workspace (run_id, name, step, content) VALUES (@id, @name, @step, @content)
                ON CONFLICT (run_id, name) DO UPDATE SET step = excluded.step, content = excluded.content, created_at = clock_timestamp()
                """, connection, transaction);
            command.Parameters.AddWithValue("id", runId);
            command.Parameters.AddWithValue("name", name);
            command.Parameters.AddWithValue("step", step);
            command.Parameters.AddWithValue("content", NpgsqlDbType.Bytea, content);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>One stored output, or null when no step has written it.</summary>
    public async Task<byte[]?> LoadAsync(Guid runId, string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT content FROM training_run_workspace WHERE run_id = @id AND name = @name");
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("name", name);
        return await command.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    /// <summary>Drops a finished run's intermediate outputs (its artifacts stay in tracking).</summary>
    public async Task DeleteAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM training_run_workspace WHERE run_id = @id");
        command.Parameters.AddWithValue("id", runId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
