using Npgsql;

namespace Mlops.ServiceDefaults;

/// <summary>
/// Deletes rows older than a cutoff in bounded chunks, each its own statement, so a large backlog (the first purge after
/// an upgrade, or after a long outage) never holds one long transaction or blocks writers for long.
/// </summary>
public static class ChunkedDelete
{
    /// <summary>Rows one statement deletes at most.</summary>
    public const int Chunk = 10_000;

    /// <summary>
    /// Runs <paramref name="sql"/> — a constant <c>DELETE</c> taking the cutoff as <c>$1</c> and the chunk size as
    /// <c>$2</c> — until a chunk comes back short; returns how many rows went.
    /// </summary>
    public static async Task<long> OlderThanAsync(NpgsqlConnection connection, string sql, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = cutoff });
            command.Parameters.Add(new NpgsqlParameter { Value = Chunk });
            var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
            total += deleted;
            if (deleted < Chunk)
            {
                return total;
            }
        }
    }
}
