using Mlops.Monitoring.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Mlops.Monitoring.Api;

/// <summary>Reads scored performance windows and the alert history for the API.</summary>
public sealed class PerformanceReportReader(MonitoringDatabase database)
{
    /// <summary>One window of prediction time with its outcome-based scores.</summary>
    public sealed record PerformanceWindow(
        long WindowId, string ModelName, string ModelVersion, string Variant, DateTimeOffset WindowStart, DateTimeOffset WindowEnd,
        int Predictions, int Labeled, double Coverage, int Positives, double? Auroc, double? Auprc, double? Brier, double? Ece,
        double? MedianDelaySeconds, double? BaselineAuroc, string? BaselineSource, bool? Degraded, DateTimeOffset EvaluatedAt);

    /// <summary>An alert of any type, with its payload as published.</summary>
    public sealed record AlertEntry(
        Guid AlertId, string Type, string ModelName, string ModelVersion, string Variant, DateTimeOffset DetectedAt, DateTimeOffset? PublishedAt,
        System.Text.Json.JsonElement Payload);

    /// <summary>What to list.</summary>
    public sealed record Query(string Model, string? Version, string? Variant, DateTimeOffset? From, DateTimeOffset? To, int Limit);

    const string Columns = """
        window_id, model_name, model_version, variant, window_start, window_end, predictions, labeled, positives, auroc, auprc, brier, ece,
        median_delay_seconds, baseline_auroc, baseline_source, degraded, evaluated_at
        """;

    public async Task<IReadOnlyList<PerformanceWindow>> ListAsync(Query query, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand($"""
            SELECT {Columns} FROM performance_windows
            WHERE model_name = $1 AND ($2::text IS NULL OR model_version = $2) AND ($3::text IS NULL OR variant = $3)
              AND ($4::timestamptz IS NULL OR window_start >= $4) AND ($5::timestamptz IS NULL OR window_start < $5)
            ORDER BY window_start DESC, window_id DESC LIMIT $6
            """, connection);
        command.Parameters.Add(new() { Value = query.Model });
        command.Parameters.Add(Nullable(query.Version, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(query.Variant, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(query.From, NpgsqlDbType.TimestampTz));
        command.Parameters.Add(Nullable(query.To, NpgsqlDbType.TimestampTz));
        command.Parameters.Add(new() { Value = query.Limit });
        return await ReadWindowsAsync(command, ct);
    }

    public async Task<PerformanceWindow?> GetAsync(long windowId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM performance_windows WHERE window_id = $1", connection);
        command.Parameters.Add(new() { Value = windowId });
        return (await ReadWindowsAsync(command, ct)).SingleOrDefault();
    }

    /// <summary>Every alert — drift (<c>drift_alerts</c>) and the others (<c>monitoring_alerts</c>) — newest first.</summary>
    public async Task<IReadOnlyList<AlertEntry>> AlertsAsync(string? model, string? type, DateTimeOffset? from, int limit, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("""
            SELECT * FROM (
                SELECT alert_id, 'DriftDetected' AS event_type, model_name, model_version, variant, detected_at, published_at, message::text FROM drift_alerts
                UNION ALL
                SELECT alert_id, event_type, model_name, model_version, variant, detected_at, published_at, message::text FROM monitoring_alerts) a
            WHERE ($1::text IS NULL OR model_name = $1) AND ($2::text IS NULL OR event_type = $2) AND ($3::timestamptz IS NULL OR detected_at >= $3)
            ORDER BY detected_at DESC LIMIT $4
            """, connection);
        command.Parameters.Add(Nullable(model, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(type, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(from, NpgsqlDbType.TimestampTz));
        command.Parameters.Add(new() { Value = limit });
        var alerts = new List<AlertEntry>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            alerts.Add(new(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                System.Text.Json.JsonDocument.Parse(reader.GetString(7)).RootElement.Clone()));
        }

        return alerts;
    }

    static async Task<IReadOnlyList<PerformanceWindow>> ReadWindowsAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var windows = new List<PerformanceWindow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            double? D(int i) => reader.IsDBNull(i) ? null : reader.GetDouble(i);
            var predictions = reader.GetInt32(6);
            var labeled = reader.GetInt32(7);
            windows.Add(new(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5), predictions, labeled,
                predictions == 0 ? 0 : (double)labeled / predictions, reader.GetInt32(8), D(9), D(10), D(11), D(12), D(13), D(14),
                reader.IsDBNull(15) ? null : reader.GetString(15), reader.IsDBNull(16) ? null : reader.GetBoolean(16),
                reader.GetFieldValue<DateTimeOffset>(17)));
        }

        return windows;
    }

    static NpgsqlParameter Nullable(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };
}
