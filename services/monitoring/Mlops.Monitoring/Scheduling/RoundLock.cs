using Mlops.Monitoring.Storage;
using Npgsql;

namespace Mlops.Monitoring.Scheduling;

/// <summary>
/// Replicas take turns at a round through a session-level PostgreSQL advisory lock, one key per kind of round, so two
/// replicas never evaluate (or store) the same thing twice.
/// </summary>
public static class RoundLock
{
    public const long DriftWindows = AdvisoryLockKeys.DriftWindowsRound;
    public const long Performance = AdvisoryLockKeys.PerformanceRound;
    public const long Slo = AdvisoryLockKeys.SloRound;

    /// <summary>True when this connection now holds the round's lock; false when another replica has it.</summary>
    public static Task<bool> TryTakeAsync(NpgsqlConnection connection, long key, CancellationToken ct) =>
        RunAsync(connection, "SELECT pg_try_advisory_lock($1)", key, ct);

    public static Task ReleaseAsync(NpgsqlConnection connection, long key) =>
        RunAsync(connection, "SELECT pg_advisory_unlock($1)", key, CancellationToken.None);

    static async Task<bool> RunAsync(NpgsqlConnection connection, string sql, long key, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new() { Value = key });
        return await command.ExecuteScalarAsync(ct) is true;
    }
}
