using Npgsql;

namespace Mlops.Kafka.CrashingConsumer;

/// <summary>Tables the ledger handler writes and the tests read.</summary>
public static class LedgerSchema
{
    const string Sql = """
        CREATE TABLE IF NOT EXISTS ledger_totals (run_id text PRIMARY KEY, total bigint NOT NULL, applied integer NOT NULL);
        CREATE TABLE IF NOT EXISTS ledger_applied (run_id text NOT NULL, event_id text NOT NULL, times integer NOT NULL, PRIMARY KEY (run_id, event_id));
        CREATE TABLE IF NOT EXISTS ledger_duplicates (run_id text NOT NULL, event_id text NOT NULL, seen_at timestamptz NOT NULL DEFAULT now());
        """;

    /// <summary>Creates the tables if missing.</summary>
    public static async Task EnsureAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var advisory = new NpgsqlCommand("SELECT pg_advisory_xact_lock(727274002)", connection, transaction))
        {
            await advisory.ExecuteNonQueryAsync();
        }

        await using (var create = new NpgsqlCommand(Sql, connection, transaction))
        {
            await create.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }
}
