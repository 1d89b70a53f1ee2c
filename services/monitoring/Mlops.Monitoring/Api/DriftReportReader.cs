using System.Text;
using System.Text.Json;
using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Storage;
using Npgsql;

namespace Mlops.Monitoring.Api;

/// <summary>Reads judged windows, their per-feature results and the drift alerts for the API.</summary>
public sealed class DriftReportReader(MonitoringDatabase database)
{
    /// <summary>A feature's result in one window.</summary>
    public sealed record FeatureResult(
        string Feature, string Method, double Statistic, double Score, double Threshold, bool Drifted, double Psi, string PsiLevel, int ReferenceCount, int CurrentCount);

    /// <summary>A judged window (no verdict when it held too few predictions or its version has no reference profile).</summary>
    public sealed record WindowReport(
        long WindowId, string ModelName, string ModelVersion, string Variant, string Kind, DateTimeOffset WindowStart, DateTimeOffset WindowEnd,
        int Samples, int EvaluatedFeatures, int DriftedFeatures, bool? DatasetDrift, DateTimeOffset EvaluatedAt, IReadOnlyList<FeatureResult> Features);

    /// <summary>An alert and whether it has left for the bus.</summary>
    public sealed record AlertReport(DriftDetected Alert, DateTimeOffset? PublishedAt);

    /// <summary>A version and variant's predictions not in a count window yet, and the newest of them.</summary>
    public sealed record OpenPredictions(string ModelVersion, string Variant, int Predictions, DateTimeOffset LastPredictedAt);

    /// <summary>Filters of the window listing; all optional except the model.</summary>
    public sealed record WindowQuery(string Model, string? Version, string? Variant, string? Feature, string? Kind, DateTimeOffset? From, DateTimeOffset? To, int Limit);

    public async Task<IReadOnlyList<WindowReport>> ListAsync(WindowQuery query, CancellationToken ct)
    {
        // Only fixed clauses with numbered parameters are appended; no input reaches the SQL text.
        var sql = new StringBuilder("""
            SELECT window_id, model_name, model_version, variant, kind, window_start, window_end, sample_count, evaluated_features,
                   drifted_features, dataset_drift, evaluated_at
            FROM drift_windows WHERE model_name = $1
            """);
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand { Connection = connection };
        command.Parameters.Add(new() { Value = query.Model });
        void Filter(string clause, object? value)
        {
            if (value is not null)
            {
                command.Parameters.Add(new() { Value = value });
                sql.Append(" AND ").Append(clause).Append(" $").Append(command.Parameters.Count);
            }
        }

        Filter("model_version =", query.Version);
        Filter("variant =", query.Variant);
        Filter("kind =", query.Kind);
        Filter("window_end >=", query.From);
        Filter("window_start <", query.To);
        command.Parameters.Add(new() { Value = query.Limit });
        sql.Append(" ORDER BY window_start DESC, window_id DESC LIMIT $").Append(command.Parameters.Count);
        command.CommandText = sql.ToString();
        var windows = await ReadWindowsAsync(command, ct);
        return await WithResultsAsync(connection, windows, query.Feature, ct);
    }

    public async Task<WindowReport?> GetAsync(long windowId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("""
            SELECT window_id, model_name, model_version, variant, kind, window_start, window_end, sample_count, evaluated_features,
                   drifted_features, dataset_drift, evaluated_at
            FROM drift_windows WHERE window_id = $1
            """, connection);
        command.Parameters.Add(new() { Value = windowId });
        var windows = await ReadWindowsAsync(command, ct);
        return (await WithResultsAsync(connection, windows, null, ct)).SingleOrDefault();
    }

    /// <summary>
    /// Per version and variant of a model, the predictions waiting for a count window (read through the partial index on
    /// the open ones, so the retained history is not scanned): why a window has not closed yet.
    /// </summary>
    public async Task<IReadOnlyList<OpenPredictions>> OpenAsync(string model, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("""
            SELECT model_version, variant, count(*)::integer, max(predicted_at) FROM prediction_samples
            WHERE model_name = $1 AND count_window_id IS NULL
            GROUP BY model_version, variant ORDER BY model_version, variant
            """, connection);
        command.Parameters.Add(new() { Value = model });
        var open = new List<OpenPredictions>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            open.Add(new OpenPredictions(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return open;
    }

    public async Task<IReadOnlyList<AlertReport>> AlertsAsync(string? model, int limit, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("""
            SELECT message::text, published_at FROM drift_alerts WHERE ($1::text IS NULL OR model_name = $1)
            ORDER BY detected_at DESC LIMIT $2
            """, connection);
        command.Parameters.Add(new() { Value = (object?)model ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = limit });
        var alerts = new List<AlertReport>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            alerts.Add(new AlertReport(
                JsonSerializer.Deserialize<DriftDetected>(reader.GetString(0), JsonSerializerOptions.Web)!,
                reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1)));
        }

        return alerts;
    }

    static async Task<List<WindowReport>> ReadWindowsAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var windows = new List<WindowReport>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            windows.Add(new WindowReport(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetInt32(7), reader.GetInt32(8),
                reader.GetInt32(9), reader.IsDBNull(10) ? null : reader.GetBoolean(10), reader.GetFieldValue<DateTimeOffset>(11), []));
        }

        return windows;
    }

    static async Task<IReadOnlyList<WindowReport>> WithResultsAsync(NpgsqlConnection connection, List<WindowReport> windows, string? feature, CancellationToken ct)
    {
        if (windows.Count == 0)
        {
            return windows;
        }

        await using var command = new NpgsqlCommand("""
            SELECT window_id, feature, method, statistic, score, threshold, drifted, psi, psi_level, reference_count, current_count
            FROM drift_results WHERE window_id = ANY($1) AND ($2::text IS NULL OR feature = $2) ORDER BY window_id, feature
            """, connection);
        command.Parameters.Add(new() { Value = windows.Select(w => w.WindowId).ToArray() });
        command.Parameters.Add(new() { Value = (object?)feature ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var results = new Dictionary<long, List<FeatureResult>>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var id = reader.GetInt64(0);
                if (!results.TryGetValue(id, out var list))
                {
                    results[id] = list = [];
                }

                list.Add(new FeatureResult(
                    reader.GetString(1), reader.GetString(2), reader.GetDouble(3), reader.GetDouble(4), reader.GetDouble(5), reader.GetBoolean(6),
                    reader.GetDouble(7), reader.GetString(8), reader.GetInt32(9), reader.GetInt32(10)));
            }
        }

        return windows.Select(w => w with { Features = results.GetValueOrDefault(w.WindowId) ?? [] }).ToList();
    }
}
