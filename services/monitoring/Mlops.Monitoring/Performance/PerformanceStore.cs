using System.Text.Json;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Monitoring;
using Mlops.Contracts.Registry;
using Mlops.Monitoring.Storage;
using Mlops.Monitoring.Windows;
using Npgsql;
using NpgsqlTypes;

namespace Mlops.Monitoring.Performance;

/// <summary>
/// The SQL behind delayed-outcome performance: version baselines, joining outcomes to predictions, which windows are
/// ready, their labelled predictions, and recording a scored window with its alert.
/// </summary>
public sealed class PerformanceStore(MonitoringDatabase database, IOptions<PerformanceOptions> options, TimeProvider clock)
{
    /// <summary>One prediction of a window: its probability, its outcome (null while unknown) and the delay of that outcome.</summary>
    public sealed record Scored(double Probability, double? Outcome, double? DelaySeconds);

    PerformanceOptions Options => options.Value;

    public Task<NpgsqlConnection> OpenAsync(CancellationToken ct) => database.OpenConnectionAsync(ct);

    /// <summary>Stores a registered version's evaluation metrics (its AUROC is the baseline its windows are held to).</summary>
    public async Task SaveBaselineAsync(string model, string version, ModelMetrics metrics, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("""
            INSERT INTO version_baselines (model_name, model_version, auroc, metrics) VALUES ($1, $2, $3, $4)
            ON CONFLICT (model_name, model_version) DO NOTHING
            """, connection);
        command.Parameters.Add(new() { Value = model });
        command.Parameters.Add(new() { Value = version });
        command.Parameters.Add(new()
        {
            Value = metrics.Overall.TryGetValue("auroc", out var auroc) && double.IsFinite(auroc) ? auroc : DBNull.Value,
            NpgsqlDbType = NpgsqlDbType.Double,
        });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(metrics.Overall, JsonSerializerOptions.Web), NpgsqlDbType = NpgsqlDbType.Jsonb });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Gives outcomes received within the rejoin period to the predictions they answer and that have none yet: by
    /// prediction id when the label carries one, else every prediction of the label's entity made in
    /// [event time − the model's horizon, event time]; a model configured with a label name takes only labels of that
    /// name. A prediction answered by several labels takes the earliest outcome. Returns the predictions labelled.
    /// </summary>
    public async Task<int> JoinOutcomesAsync(NpgsqlConnection connection, IReadOnlyDictionary<string, ModelOutcomeOptions> resolved, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var maxHorizon = resolved.Values.Select(m => m.Horizon ?? Options.DefaultHorizon).Append(Options.DefaultHorizon).Max();
        var joined = 0;
        foreach (var match in (string[])[
            "l.prediction_id IS NOT NULL AND s.prediction_id = l.prediction_id",
            "l.prediction_id IS NULL AND s.entity_id = l.entity_id AND s.predicted_at <= l.event_time AND s.predicted_at >= l.event_time - $5::interval AND s.predicted_at >= l.event_time - coalesce(m.horizon, $6::interval)"])
        {
            // The match is one of two constants above, never input.
            await using var command = new NpgsqlCommand($"""
                UPDATE prediction_samples p SET outcome = c.value, label_id = c.label_id, label_recorded_at = c.recorded_at, label_joined_at = $4
                FROM (
                    SELECT DISTINCT ON (s.seq) s.seq, l.value, l.label_id, l.recorded_at
                    FROM outcome_labels l
                    JOIN prediction_samples s ON s.outcome IS NULL
                    LEFT JOIN unnest($1::text[], $2::text[], $3::interval[]) AS m(model_name, label_name, horizon) ON m.model_name = s.model_name
                    WHERE l.received_at >= $7 AND (m.label_name IS NULL OR m.label_name = l.name) AND {match}
                    ORDER BY s.seq, l.event_time, l.label_id) c
                WHERE p.seq = c.seq
                """, connection);
            var models = resolved.ToList();
            command.Parameters.Add(new() { Value = models.Select(m => m.Key).ToArray() });
            command.Parameters.Add(new() { Value = models.Select(m => m.Value.Label).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = models.Select(m => m.Value.Horizon ?? Options.DefaultHorizon).ToArray() });
            command.Parameters.Add(new() { Value = now });
            command.Parameters.Add(new() { Value = maxHorizon });
            command.Parameters.Add(new() { Value = Options.DefaultHorizon });
            command.Parameters.Add(new() { Value = now - Options.RejoinPeriod });
            joined += await command.ExecuteNonQueryAsync(ct);
        }

        return joined;
    }

    /// <summary>
    /// Windows of prediction time not scored yet whose end plus the model's horizon plus the label lateness has passed,
    /// and into which neither a prediction nor an outcome has come for <see cref="PerformanceOptions.Quiet"/>. Each model's
    /// windows have its own duration (<paramref name="resolved"/>; the service-wide one for a model not named).
    /// </summary>
    public async Task<IReadOnlyList<(DriftWindowStore.Group Group, DateTimeOffset Start)>> WindowsReadyAsync(
        NpgsqlConnection connection, TimeSpan retention, IReadOnlyDictionary<string, ModelOutcomeOptions> resolved, CancellationToken ct)
    {
        // Only predictions of windows that can be ready are read: made before now − horizon − lateness of their model
        // (a model set over the API through the lateral, every other one with the defaults), and not yet in a scored
        // window — so the predictions still waiting for their outcomes, a horizon's worth, are never scanned.
        await using var command = new NpgsqlCommand("""
            WITH candidates AS (
                SELECT s.model_name, s.model_version, s.variant, m.width, m.horizon, m.lateness, s.predicted_at, s.received_at, s.label_joined_at
                FROM unnest($3::text[], $4::interval[], $9::interval[], $10::interval[]) AS m(model_name, horizon, width, lateness)
                JOIN LATERAL (
                    SELECT * FROM prediction_samples p
                    WHERE p.model_name = m.model_name AND NOT p.performance_window_closed AND p.predicted_at >= $2
                      AND p.predicted_at < $7 - m.horizon - m.lateness) s ON true
                UNION ALL
                SELECT s.model_name, s.model_version, s.variant, $1::interval, $5::interval, $6::interval, s.predicted_at, s.received_at, s.label_joined_at
                FROM prediction_samples s
                WHERE NOT s.performance_window_closed AND s.predicted_at >= $2 AND s.predicted_at < $7 - $5::interval - $6::interval
                  AND s.model_name <> ALL ($3::text[]))
            SELECT b.model_name, b.model_version, b.variant, b.bucket FROM (
                SELECT model_name, model_version, variant, width, horizon, lateness,
                       date_bin(width, predicted_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket,
                       greatest(max(received_at), max(label_joined_at)) AS last_change
                FROM candidates GROUP BY 1, 2, 3, 4, 5, 6, 7) b
            WHERE b.bucket + b.width + b.horizon + b.lateness <= $7 AND b.last_change <= $8
              AND NOT EXISTS (SELECT 1 FROM performance_windows w WHERE w.model_name = b.model_name
                              AND w.model_version = b.model_version AND w.variant = b.variant AND w.window_start = b.bucket)
            ORDER BY b.bucket
            """, connection);
        var now = clock.GetUtcNow();
        var models = resolved.ToList();
        command.Parameters.Add(new() { Value = Options.WindowDuration });
        command.Parameters.Add(new() { Value = now - retention });
        command.Parameters.Add(new() { Value = models.Select(m => m.Key).ToArray() });
        command.Parameters.Add(new() { Value = models.Select(m => m.Value.Horizon ?? Options.DefaultHorizon).ToArray() });
        command.Parameters.Add(new() { Value = Options.DefaultHorizon });
        command.Parameters.Add(new() { Value = Options.LabelLateness });
        command.Parameters.Add(new() { Value = now });
        command.Parameters.Add(new() { Value = now - Options.Quiet });
        command.Parameters.Add(new() { Value = models.Select(m => m.Value.WindowDuration ?? Options.WindowDuration).ToArray() });
        command.Parameters.Add(new() { Value = models.Select(m => m.Value.LabelLateness ?? Options.LabelLateness).ToArray() });
        var windows = new List<(DriftWindowStore.Group, DateTimeOffset)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            windows.Add((new(reader.GetString(0), reader.GetString(1), reader.GetString(2)), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return windows;
    }

    /// <summary>Every prediction of a group in [start, start + duration) with its outcome, if known.</summary>
    public async Task<List<Scored>> WindowAsync(NpgsqlConnection connection, DriftWindowStore.Group group, DateTimeOffset start, TimeSpan duration, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT probability, outcome, extract(epoch FROM label_recorded_at - predicted_at)::double precision FROM prediction_samples
            WHERE {DriftWindowStore.Group.InWindow}
            """, connection);
        group.AddInWindow(command.Parameters, start, start + duration);
        var rows = new List<Scored>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new(reader.GetDouble(0), reader.IsDBNull(1) ? null : reader.GetDouble(1), reader.IsDBNull(2) ? null : reader.GetDouble(2)));
        }

        return rows;
    }

    /// <summary>
    /// The AUROC a version is held to: its own evaluation's, else that of the version serving the champion alias most
    /// recently (from the predictions seen); null when neither is known.
    /// </summary>
    public async Task<(double Auroc, string Source)?> BaselineAsync(NpgsqlConnection connection, string model, string version, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT auroc, source FROM (
                SELECT auroc, 'version' AS source, 0 AS priority FROM version_baselines WHERE model_name = $1 AND model_version = $2 AND auroc IS NOT NULL
                UNION ALL
                (SELECT b.auroc, 'champion', 1 FROM version_baselines b
                 WHERE b.model_name = $1 AND b.auroc IS NOT NULL AND b.model_version = (
                     SELECT model_version FROM prediction_samples WHERE model_name = $1 AND variant = $3 ORDER BY predicted_at DESC LIMIT 1))) baselines
            -- The version's own evaluation first: UNION ALL alone does not promise its branches' order.
            ORDER BY priority
            LIMIT 1
            """, connection);
        command.Parameters.Add(new() { Value = model });
        command.Parameters.Add(new() { Value = version });
        command.Parameters.Add(new() { Value = ModelAliases.Champion });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetDouble(0), reader.GetString(1)) : null;
    }

    /// <summary>
    /// Records a scored window and — when it degraded and the version and variant were not reported within the
    /// debounce period — its alert, queued in <c>monitoring_alerts</c>, in one transaction. False when another replica
    /// recorded the window first.
    /// </summary>
    public async Task<bool> RecordAsync(
        NpgsqlConnection connection, DriftWindowStore.Group group, DateTimeOffset start, TimeSpan duration, PerformanceScore score, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // The window's predictions leave the search for ready windows, whoever recorded the window.
        await JudgedWindowMarks.PerformanceAsync(connection, transaction, group, start, start + duration, ct);

        long windowId;
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO performance_windows (model_name, model_version, variant, window_start, window_end, predictions, labeled, positives,
                                             auroc, auprc, brier, ece, median_delay_seconds, baseline_auroc, baseline_source, degraded, evaluated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
            ON CONFLICT (model_name, model_version, variant, window_start) DO NOTHING
            RETURNING window_id
            """, connection, transaction))
        {
            insert.Parameters.Add(new() { Value = group.ModelName });
            insert.Parameters.Add(new() { Value = group.ModelVersion });
            insert.Parameters.Add(new() { Value = group.Variant });
            insert.Parameters.Add(new() { Value = start });
            insert.Parameters.Add(new() { Value = start + duration });
            insert.Parameters.Add(new() { Value = score.Predictions });
            insert.Parameters.Add(new() { Value = score.Labeled });
            insert.Parameters.Add(new() { Value = score.Positives });
            foreach (var value in (double?[])[score.Auroc, score.Auprc, score.Brier, score.Ece, score.MedianDelaySeconds, score.BaselineAuroc])
            {
                insert.Parameters.Add(new() { Value = value is { } v && double.IsFinite(v) ? v : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            }

            insert.Parameters.Add(new() { Value = (object?)score.BaselineSource ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new() { Value = (object?)score.Degraded ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Boolean });
            insert.Parameters.Add(new() { Value = now });
            if (await insert.ExecuteScalarAsync(ct) is not long id)
            {
                await transaction.CommitAsync(ct);
                return false;
            }

            windowId = id;
        }

        if (score.Degraded == true && await NotDebouncedAsync(connection, transaction, group, now, ct))
        {
            var alert = new PerformanceDegraded
            {
                AlertId = Guid.CreateVersion7(now),
                ModelName = group.ModelName,
                ModelVersion = group.ModelVersion,
                Variant = group.Variant,
                WindowId = windowId,
                WindowStart = start,
                WindowEnd = start + duration,
                Predictions = score.Predictions,
                Labeled = score.Labeled,
                Positives = score.Positives,
                Auroc = score.Auroc!.Value,
                BaselineAuroc = score.BaselineAuroc!.Value,
                BaselineSource = score.BaselineSource!,
                Margin = Options.AurocMargin,
                Auprc = score.Auprc!.Value,
                Brier = score.Brier!.Value,
                Ece = score.Ece!.Value,
                DetectedAt = now,
            };
            await using var queue = new NpgsqlCommand("""
                WITH alert AS (
                    INSERT INTO monitoring_alerts (alert_id, event_type, model_name, model_version, variant, message, detected_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7))
                INSERT INTO performance_debounce (model_name, model_version, variant, last_reported_at) VALUES ($3, $4, $5, $7)
                ON CONFLICT (model_name, model_version, variant) DO UPDATE SET last_reported_at = excluded.last_reported_at
                """, connection, transaction);
            queue.Parameters.Add(new() { Value = alert.AlertId });
            queue.Parameters.Add(new() { Value = nameof(PerformanceDegraded) });
            queue.Parameters.Add(new() { Value = group.ModelName });
            queue.Parameters.Add(new() { Value = group.ModelVersion });
            queue.Parameters.Add(new() { Value = group.Variant });
            queue.Parameters.Add(new() { Value = JsonSerializer.Serialize(alert, JsonSerializerOptions.Web), NpgsqlDbType = NpgsqlDbType.Jsonb });
            queue.Parameters.Add(new() { Value = now });
            await queue.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
        return true;
    }

    async Task<bool> NotDebouncedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, DriftWindowStore.Group group, DateTimeOffset now, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT 1 FROM performance_debounce WHERE model_name = $1 AND model_version = $2 AND variant = $3 AND last_reported_at > $4
            """, connection, transaction);
        command.Parameters.Add(new() { Value = group.ModelName });
        command.Parameters.Add(new() { Value = group.ModelVersion });
        command.Parameters.Add(new() { Value = group.Variant });
        command.Parameters.Add(new() { Value = now - Options.Debounce });
        return await command.ExecuteScalarAsync(ct) is null;
    }
}
