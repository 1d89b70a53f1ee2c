using System.Text.Json;
using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Drift;
using Mlops.Monitoring.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Mlops.Monitoring.Windows;

/// <summary>The SQL behind windowing: which windows are ready, their samples, and recording a verdict with its alert.</summary>
public sealed class DriftWindowStore(MonitoringDatabase database, TimeProvider clock)
{
    /// <summary>A version and variant of a model.</summary>
    public sealed record Group(string ModelName, string ModelVersion, string Variant)
    {
        /// <summary>
        /// The predicate "this group's predictions in [$4, $5)"; <see cref="AddInWindow"/> binds its parameters. Shared by
        /// every statement that reads or marks one window, so they all mean the same rows.
        /// </summary>
        public const string InWindow = "model_name = $1 AND model_version = $2 AND variant = $3 AND predicted_at >= $4 AND predicted_at < $5";

        /// <summary>Binds <c>$1</c>–<c>$5</c> of <see cref="InWindow"/>.</summary>
        public void AddInWindow(NpgsqlParameterCollection parameters, DateTimeOffset start, DateTimeOffset end)
        {
            parameters.Add(new() { Value = ModelName });
            parameters.Add(new() { Value = ModelVersion });
            parameters.Add(new() { Value = Variant });
            parameters.Add(new() { Value = start });
            parameters.Add(new() { Value = end });
        }
    }

    // A prediction is ready for a count window once it has its features, never will (no feature event id), or waited long enough.
    const string Ready = "count_window_id IS NULL AND (feature_values IS NOT NULL OR feature_event_id IS NULL OR received_at < $1)";

    public Task<NpgsqlConnection> OpenAsync(CancellationToken ct) => database.OpenConnectionAsync(ct);

    /// <summary>
    /// Groups with at least their model's window size of ready predictions not yet in a count window, each with that size.
    /// The models with a size of their own arrive as two parallel array parameters joined in the statement, so one
    /// aggregation over the open predictions serves every size; a size of 0 leaves the model out.
    /// </summary>
    public async Task<IReadOnlyList<(Group Group, int Size)>> CountWindowsReadyAsync(NpgsqlConnection connection, DriftOptions options, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT model_name, model_version, variant, size FROM (
                SELECT p.model_name, p.model_version, p.variant, coalesce(o.size, $2) AS size
                FROM prediction_samples p LEFT JOIN unnest($3::text[], $4::bigint[]) AS o(model_name, size) ON o.model_name = p.model_name
                WHERE {Ready}) r
            WHERE size > 0
            GROUP BY model_name, model_version, variant, size HAVING count(*) >= size
            """, connection);
        var own = options.Models.Keys.ToArray();
        command.Parameters.Add(new() { Value = clock.GetUtcNow() - options.JoinTimeout });
        command.Parameters.Add(new() { Value = (long)options.WindowSize });
        command.Parameters.Add(new() { Value = own });
        command.Parameters.Add(new() { Value = own.Select(m => (long)options.For(m).WindowSize).ToArray() });
        var groups = new List<(Group, int)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            groups.Add((new Group(reader.GetString(0), reader.GetString(1), reader.GetString(2)), (int)reader.GetInt64(3)));
        }

        return groups;
    }

    /// <summary>The oldest <paramref name="size"/> ready predictions of a group, locked until the transaction ends.</summary>
    public async Task<(long[] Seqs, List<WindowSample> Samples)> NextCountWindowAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Group group, int size, TimeSpan joinTimeout, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT seq, probability, predicted_at, feature_values::text FROM prediction_samples
            WHERE {Ready} AND model_name = $2 AND model_version = $3 AND variant = $4
            ORDER BY seq LIMIT $5 FOR UPDATE SKIP LOCKED
            """, connection, transaction);
        command.Parameters.Add(new() { Value = clock.GetUtcNow() - joinTimeout });
        command.Parameters.Add(new() { Value = group.ModelName });
        command.Parameters.Add(new() { Value = group.ModelVersion });
        command.Parameters.Add(new() { Value = group.Variant });
        command.Parameters.Add(new() { Value = (long)size });
        var seqs = new List<long>();
        var samples = new List<WindowSample>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            seqs.Add(reader.GetInt64(0));
            samples.Add(ReadSample(reader, 1));
        }

        return (seqs.ToArray(), samples);
    }

    /// <summary>
    /// Time windows not judged yet, each of its model's duration, whose period ended more than <c>Lateness</c> ago and into
    /// which nothing has arrived for <c>JoinTimeout</c> — so a replay of past hours is judged once its
    /// data has stopped flowing in, not half-way through.
    /// </summary>
    /// <remarks>
    /// A window starts at its period's start, or — when the model's duration changed and windows of the old one
    /// already cover the period's beginning — where the last of those ends: closed windows stay as they were, and
    /// the rest of the period is still judged rather than left open because a window with its start exists. That
    /// also keeps a prediction that arrived after its own window was judged out of every window, as before.
    /// </remarks>
    public async Task<IReadOnlyList<(Group Group, DateTimeOffset Start, DateTimeOffset End)>> TimeWindowsReadyAsync(
        NpgsqlConnection connection, DriftOptions options, CancellationToken ct)
    {
        // Only predictions outside judged windows and made before now − lateness are read (a ready window ended at
        // least that long ago): the predictions of windows still filling are never scanned. The models with a duration
        // of their own arrive as two parallel arrays; a duration of zero leaves the model out.
        await using var command = new NpgsqlCommand("""
            WITH buckets AS (
                SELECT p.model_name, p.model_version, p.variant, coalesce(o.duration, $1) AS duration,
                       date_bin(coalesce(o.duration, $1), p.predicted_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket, max(p.received_at) AS last_received
                FROM prediction_samples p LEFT JOIN unnest($6::text[], $7::interval[]) AS o(model_name, duration) ON o.model_name = p.model_name
                WHERE NOT p.drift_window_closed AND p.predicted_at >= $2 AND p.predicted_at < $4 - $3 AND coalesce(o.duration, $1) > INTERVAL '0'
                GROUP BY 1, 2, 3, 4, 5),
            windows AS (
                SELECT b.model_name, b.model_version, b.variant, b.bucket + b.duration AS window_end,
                       greatest(b.bucket, (SELECT max(w.window_end) FROM drift_windows w
                                           WHERE w.kind = 'time' AND w.model_name = b.model_name AND w.model_version = b.model_version
                                             AND w.variant = b.variant AND w.window_end > b.bucket AND w.window_start < b.bucket + b.duration)) AS window_start
                FROM buckets b WHERE b.bucket + b.duration + $3 <= $4 AND b.last_received <= $5)
            SELECT model_name, model_version, variant, window_start, window_end FROM windows
            WHERE window_start < window_end
            ORDER BY window_start
            """, connection);
        var now = clock.GetUtcNow();
        var own = options.Models.Keys.ToArray();
        command.Parameters.Add(new() { Value = options.WindowDuration });
        command.Parameters.Add(new() { Value = now - options.Retention });
        command.Parameters.Add(new() { Value = options.Lateness });
        command.Parameters.Add(new() { Value = now });
        command.Parameters.Add(new() { Value = now - options.JoinTimeout });
        command.Parameters.Add(new() { Value = own });
        command.Parameters.Add(new() { Value = own.Select(m => options.For(m).WindowDuration).ToArray() });
        var windows = new List<(Group, DateTimeOffset, DateTimeOffset)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            windows.Add((new Group(reader.GetString(0), reader.GetString(1), reader.GetString(2)),
                reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return windows;
    }

    /// <summary>Every prediction of a group in [start, end).</summary>
    public async Task<List<WindowSample>> TimeWindowSamplesAsync(NpgsqlConnection connection, Group group, DateTimeOffset start, DateTimeOffset end, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT probability, predicted_at, feature_values::text FROM prediction_samples
            WHERE {Group.InWindow}
            """, connection);
        group.AddInWindow(command.Parameters, start, end);
        var samples = new List<WindowSample>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            samples.Add(ReadSample(reader, 0));
        }

        return samples;
    }

    /// <summary>How many predictions of a group lie in [start, end): all a window without a profile records.</summary>
    public static async Task<int> TimeWindowCountAsync(NpgsqlConnection connection, Group group, DateTimeOffset start, DateTimeOffset end, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT count(*)::integer FROM prediction_samples
            WHERE {Group.InWindow}
            """, connection);
        group.AddInWindow(command.Parameters, start, end);
        return (int)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Records a judged window, its results and — for drifted features not reported within the debounce period — an
    /// alert waiting to be published, all in the caller's transaction. Returns the window id, or null when another
    /// replica recorded the same time window first.
    /// </summary>
    public async Task<long?> RecordAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Group group, string kind, DateTimeOffset start, DateTimeOffset end,
        int sampleCount, WindowVerdict? verdict, TimeSpan debounce, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        long windowId;
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO drift_windows (model_name, model_version, variant, kind, window_start, window_end, sample_count, evaluated_features, drifted_features, dataset_drift, evaluated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (model_name, model_version, variant, window_start) WHERE kind = 'time' DO NOTHING
            RETURNING window_id
            """, connection, transaction))
        {
            insert.Parameters.Add(new() { Value = group.ModelName });
            insert.Parameters.Add(new() { Value = group.ModelVersion });
            insert.Parameters.Add(new() { Value = group.Variant });
            insert.Parameters.Add(new() { Value = kind });
            insert.Parameters.Add(new() { Value = start });
            insert.Parameters.Add(new() { Value = end });
            insert.Parameters.Add(new() { Value = sampleCount });
            insert.Parameters.Add(new() { Value = verdict?.EvaluatedFeatures ?? 0 });
            insert.Parameters.Add(new() { Value = verdict?.DriftedFeatures ?? 0 });
            insert.Parameters.Add(new() { Value = verdict is null ? DBNull.Value : verdict.DatasetDrift, NpgsqlDbType = NpgsqlDbType.Boolean });
            insert.Parameters.Add(new() { Value = now });
            if (await insert.ExecuteScalarAsync(ct) is not long id)
            {
                return null;
            }

            windowId = id;
        }

        if (verdict is null || verdict.Results.Count == 0)
        {
            return windowId;
        }

        await using (var results = new NpgsqlCommand("""
            INSERT INTO drift_results (window_id, feature, method, statistic, score, threshold, drifted, psi, psi_level, reference_count, current_count)
            SELECT $1, * FROM unnest($2::text[], $3::text[], $4::double precision[], $5::double precision[], $6::double precision[], $7::boolean[],
                                     $8::double precision[], $9::text[], $10::integer[], $11::integer[])
            """, connection, transaction))
        {
            var r = verdict.Results;
            results.Parameters.Add(new() { Value = windowId });
            results.Parameters.Add(new() { Value = r.Select(x => x.Feature).ToArray() });
            results.Parameters.Add(new() { Value = r.Select(x => x.Method.Name()).ToArray() });
            results.Parameters.Add(new() { Value = r.Select(x => Finite(x.Statistic)).ToArray() });
            results.Parameters.Add(new() { Value = r.Select(x => Finite(x.Score)).ToArray() });
            results.Parameters.Add(new() { Value = r.Select(x => x.Threshold).ToArray() });
            results.Parameters.Add(new() { Value = r.Select(x => x.Drifted).ToArray() });
            results.Parameters.Add(new() { Value = r.Select(x => Finite(x.Psi)).ToArray() });
            results.Parameters.Add(new() { Value = r.Select(x => x.PsiLevel).ToArray() });
            results.Parameters.Add(new() { Value = r.Select(x => x.ReferenceCount).ToArray() });
            results.Parameters.Add(new() { Value = r.Select(x => x.CurrentCount).ToArray() });
            await results.ExecuteNonQueryAsync(ct);
        }

        var drifted = verdict.Results.Where(x => x.Drifted).ToList();
        if (drifted.Count == 0)
        {
            return windowId;
        }

        // Debounce: features reported for this version and variant within the period are left out of the new alert.
        var recent = new HashSet<string>(StringComparer.Ordinal);
        await using (var debounced = new NpgsqlCommand("""
            SELECT feature FROM drift_debounce WHERE model_name = $1 AND model_version = $2 AND variant = $3 AND last_reported_at > $4
            """, connection, transaction))
        {
            debounced.Parameters.Add(new() { Value = group.ModelName });
            debounced.Parameters.Add(new() { Value = group.ModelVersion });
            debounced.Parameters.Add(new() { Value = group.Variant });
            debounced.Parameters.Add(new() { Value = now - debounce });
            await using var reader = await debounced.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                recent.Add(reader.GetString(0));
            }
        }

        var fresh = drifted.Where(x => !recent.Contains(x.Feature)).ToList();
        if (fresh.Count == 0)
        {
            return windowId;
        }

        var alert = new DriftDetected
        {
            AlertId = Guid.CreateVersion7(now),
            ModelName = group.ModelName,
            ModelVersion = group.ModelVersion,
            Variant = group.Variant,
            WindowId = windowId,
            WindowKind = kind,
            WindowStart = start,
            WindowEnd = end,
            WindowSamples = sampleCount,
            DatasetDrift = verdict.DatasetDrift,
            DriftedShare = verdict.DriftedShare,
            DetectedAt = now,
            Features = fresh.Select(x => new DriftEvidence
            {
                Feature = x.Feature,
                Method = x.Method.Name(),
                Statistic = Finite(x.Statistic),
                Score = Finite(x.Score),
                Threshold = x.Threshold,
                Psi = Finite(x.Psi),
                ReferenceCount = x.ReferenceCount,
                CurrentCount = x.CurrentCount,
            }).ToList(),
        };
        await using (var insertAlert = new NpgsqlCommand("""
            WITH alert AS (
                INSERT INTO drift_alerts (alert_id, window_id, model_name, model_version, variant, message, detected_at) VALUES ($1, $2, $3, $4, $5, $6, $7))
            INSERT INTO drift_debounce (model_name, model_version, variant, feature, last_reported_at)
            SELECT $3, $4, $5, f, $7 FROM unnest($8::text[]) AS f
            ON CONFLICT (model_name, model_version, variant, feature) DO UPDATE SET last_reported_at = excluded.last_reported_at
            """, connection, transaction))
        {
            insertAlert.Parameters.Add(new() { Value = alert.AlertId });
            insertAlert.Parameters.Add(new() { Value = windowId });
            insertAlert.Parameters.Add(new() { Value = group.ModelName });
            insertAlert.Parameters.Add(new() { Value = group.ModelVersion });
            insertAlert.Parameters.Add(new() { Value = group.Variant });
            insertAlert.Parameters.Add(new() { Value = JsonSerializer.Serialize(alert, JsonSerializerOptions.Web), NpgsqlDbType = NpgsqlDbType.Jsonb });
            insertAlert.Parameters.Add(new() { Value = now });
            insertAlert.Parameters.Add(new() { Value = fresh.Select(x => x.Feature).ToArray() });
            await insertAlert.ExecuteNonQueryAsync(ct);
        }

        return windowId;
    }

    /// <summary>Marks predictions as belonging to a count window.</summary>
    public static async Task AssignAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long[] seqs, long windowId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("UPDATE prediction_samples SET count_window_id = $1 WHERE seq = ANY($2)", connection, transaction);
        command.Parameters.Add(new() { Value = windowId });
        command.Parameters.Add(new() { Value = seqs });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Hands stored vectors to predictions still waiting for theirs. The handlers join on arrival, but a prediction and its
    /// vector committed concurrently by the two consumers miss each other; this closes that gap before windows are cut.
    /// </summary>
    public static async Task JoinLateVectorsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE prediction_samples p SET feature_values = v.feature_values FROM feature_vectors v
            WHERE p.feature_values IS NULL AND p.count_window_id IS NULL AND p.feature_event_id = v.event_id
            """, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Forgets feature vectors, predictions and outcomes older than the retention.</summary>
    public async Task PruneAsync(NpgsqlConnection connection, TimeSpan retention, CancellationToken ct)
    {
        // Numbered parameters allow one statement per command.
        foreach (var sql in (string[])[
            "DELETE FROM feature_vectors WHERE received_at < $1", "DELETE FROM prediction_samples WHERE received_at < $1", "DELETE FROM outcome_labels WHERE received_at < $1"])
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.Add(new() { Value = clock.GetUtcNow() - retention });
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    static WindowSample ReadSample(NpgsqlDataReader reader, int first)
    {
        var features = reader.IsDBNull(first + 2)
            ? new Dictionary<string, double>()
            : JsonSerializer.Deserialize<Dictionary<string, double>>(reader.GetString(first + 2))!;
        return new WindowSample(reader.GetDouble(first), reader.GetFieldValue<DateTimeOffset>(first + 1), features);
    }

    // A NaN statistic (e.g. a z-test on a constant column) is stored as 0 rather than failing the window.
    static double Finite(double value) => double.IsFinite(value) ? value : 0;
}
