using Mlops.Monitoring.Windows;
using Npgsql;

namespace Mlops.Monitoring.Storage;

/// <summary>
/// Marks a group's predictions in [start, end) as belonging to a judged time window, in the transaction that records
/// the window, so the rounds' search for ready windows (partial indexes on the unmarked rows) skips them from then on.
/// </summary>
public static class JudgedWindowMarks
{
    public static Task DriftAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, DriftWindowStore.Group group, DateTimeOffset start, DateTimeOffset end, CancellationToken ct) =>
        MarkAsync(DriftSql, connection, transaction, group, start, end, ct);

    public static Task PerformanceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, DriftWindowStore.Group group, DateTimeOffset start, DateTimeOffset end, CancellationToken ct) =>
        MarkAsync(PerformanceSql, connection, transaction, group, start, end, ct);

    const string DriftSql = $"""
        UPDATE prediction_samples SET drift_window_closed = true
        WHERE {DriftWindowStore.Group.InWindow} AND NOT drift_window_closed
        """;

    const string PerformanceSql = $"""
        UPDATE prediction_samples SET performance_window_closed = true
        WHERE {DriftWindowStore.Group.InWindow} AND NOT performance_window_closed
        """;

    static async Task MarkAsync(string sql, NpgsqlConnection connection, NpgsqlTransaction transaction, DriftWindowStore.Group group, DateTimeOffset start, DateTimeOffset end, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        group.AddInWindow(command.Parameters, start, end);
        await command.ExecuteNonQueryAsync(ct);
    }
}
