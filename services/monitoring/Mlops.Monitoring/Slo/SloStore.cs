using System.Text.Json;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Mlops.Monitoring.Slo;

/// <summary>
/// The SQL behind SLOs: storing scraped readings with their running totals, what each version counted over a window,
/// and queuing <c>SloBreached</c> alerts (debounced, each kept open until it clears) and <c>SloCleared</c> in the alert
/// outbox.
/// </summary>
public sealed class SloStore(MonitoringDatabase database, IOptions<SloOptions> options)
{
    /// <summary>SLOs are per version across variants; the alert history's variant column says so.</summary>
    public const string AllVariants = "*";

    /// <summary>One version's counts over one window, summed over its series, and the latest latency bound read.</summary>
    public sealed record VersionWindow(string ModelName, string ModelVersion, SloCounters Counted, double? LatencyBoundMs);

    public Task<NpgsqlConnection> OpenAsync(CancellationToken ct) => database.OpenConnectionAsync(ct);

    /// <summary>
    /// Stores a scrape's readings, each with its running total continued from the series' previous reading (resets
    /// folded in by <see cref="SloJudge.Accumulate"/>), and forgets readings older than the retention.
    /// </summary>
    public async Task RecordAsync(NpgsqlConnection connection, IReadOnlyList<SloReading> readings, DateTimeOffset now, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var previous = new Dictionary<(string, string, string), (SloCounters Raw, SloCounters Total, LatencyBuckets? RawBuckets, LatencyBuckets? TotalBuckets)>();
        await using (var select = new NpgsqlCommand("""
            SELECT DISTINCT ON (instance, model_name, model_version) instance, model_name, model_version,
                   successes, errors, fast, total_successes, total_errors, total_fast, bucket_bounds, buckets, bucket_totals
            FROM slo_readings WHERE instance = ANY($1) AND scraped_at < $2
            ORDER BY instance, model_name, model_version, scraped_at DESC
            """, connection, transaction))
        {
            select.Parameters.Add(new() { Value = readings.Select(r => r.Instance).Distinct().ToArray() });
            select.Parameters.Add(new() { Value = now });
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                previous[(reader.GetString(0), reader.GetString(1), reader.GetString(2))] = (
                    new(reader.GetDouble(3), reader.GetDouble(4), reader.GetDouble(5)),
                    new(reader.GetDouble(6), reader.GetDouble(7), reader.GetDouble(8)),
                    Buckets(reader, 9, 10), Buckets(reader, 9, 11));
            }
        }

        foreach (var reading in readings)
        {
            var found = previous.TryGetValue((reading.Instance, reading.ModelName, reading.ModelVersion), out var before);
            var restarted = found && SloJudge.Restarted(before.Raw, reading.Raw, before.RawBuckets, reading.Buckets);
            var total = SloJudge.Accumulate(found ? before.Raw : null, found ? before.Total : default, reading.Raw, restarted);
            var bucketTotals = reading.Buckets is { } raw ? SloJudge.AccumulateBuckets(found ? before.RawBuckets : null, found ? before.TotalBuckets : null, raw, restarted) : null;
            await using var insert = new NpgsqlCommand("""
                INSERT INTO slo_readings (instance, model_name, model_version, scraped_at, successes, errors, fast, latency_bound_ms,
                                          total_successes, total_errors, total_fast, bucket_bounds, buckets, bucket_totals)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                ON CONFLICT DO NOTHING
                """, connection, transaction);
            insert.Parameters.Add(new() { Value = reading.Instance });
            insert.Parameters.Add(new() { Value = reading.ModelName });
            insert.Parameters.Add(new() { Value = reading.ModelVersion });
            insert.Parameters.Add(new() { Value = now });
            insert.Parameters.Add(new() { Value = reading.Raw.Successes });
            insert.Parameters.Add(new() { Value = reading.Raw.Errors });
            insert.Parameters.Add(new() { Value = reading.Raw.Fast });
            insert.Parameters.Add(new() { Value = (object?)reading.LatencyBoundMs ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            insert.Parameters.Add(new() { Value = total.Successes });
            insert.Parameters.Add(new() { Value = total.Errors });
            insert.Parameters.Add(new() { Value = total.Fast });
            insert.Parameters.Add(new() { Value = (object?)reading.Buckets?.Bounds ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
            insert.Parameters.Add(new() { Value = (object?)reading.Buckets?.Counts ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
            insert.Parameters.Add(new() { Value = (object?)bucketTotals?.Counts ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
            await insert.ExecuteNonQueryAsync(ct);
        }

        await using (var forget = new NpgsqlCommand("DELETE FROM slo_readings WHERE scraped_at < $1", connection, transaction))
        {
            forget.Parameters.Add(new() { Value = now - options.Value.Retention });
            await forget.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// What each version (of <paramref name="model"/>, or every model) counted over the window of
    /// <paramref name="duration"/> ending <paramref name="now"/>: per series, its latest running total minus its
    /// total at the window's start — the latest reading at or before the start, else (a series younger than the
    /// window) its first reading — summed over the version's series.
    /// </summary>
    public async Task<IReadOnlyList<VersionWindow>> WindowAsync(
        NpgsqlConnection connection, string? model, TimeSpan duration, DateTimeOffset now, CancellationToken ct,
        IReadOnlyDictionary<string, SloObjectives>? objectives = null)
    {
        await using var command = new NpgsqlCommand("""
            WITH series AS (
                SELECT * FROM slo_readings WHERE scraped_at <= $2 AND ($1::text IS NULL OR model_name = $1)),
            ends AS (
                SELECT DISTINCT ON (instance, model_name, model_version) instance, model_name, model_version,
                       total_successes, total_errors, total_fast, latency_bound_ms, scraped_at, bucket_bounds, bucket_totals
                FROM series ORDER BY instance, model_name, model_version, scraped_at DESC),
            starts AS (
                SELECT DISTINCT ON (instance, model_name, model_version) instance, model_name, model_version,
                       total_successes, total_errors, total_fast, bucket_bounds, bucket_totals
                FROM series
                ORDER BY instance, model_name, model_version, (scraped_at <= $3) DESC,
                         CASE WHEN scraped_at <= $3 THEN scraped_at END DESC, scraped_at)
            SELECT e.model_name, e.model_version, s.total_successes, s.total_errors, s.total_fast,
                   e.total_successes, e.total_errors, e.total_fast, e.latency_bound_ms, e.scraped_at,
                   s.bucket_bounds, s.bucket_totals, e.bucket_bounds, e.bucket_totals
            FROM ends e JOIN starts s USING (instance, model_name, model_version)
            """, connection);
        command.Parameters.Add(new() { Value = (object?)model ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = now });
        command.Parameters.Add(new() { Value = now - duration });
        var versions = new Dictionary<(string, string), VersionSum>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var key = (reader.GetString(0), reader.GetString(1));
                var counted = SloJudge.Increase(
                    new(reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4)),
                    new(reader.GetDouble(5), reader.GetDouble(6), reader.GetDouble(7)));
                double? bound = reader.IsDBNull(8) ? null : reader.GetDouble(8);
                var at = reader.GetFieldValue<DateTimeOffset>(9);
                var histogram = SloJudge.IncreaseBuckets(Buckets(reader, 10, 11), Buckets(reader, 12, 13));
                if (!versions.TryGetValue(key, out var sum))
                {
                    versions[key] = sum = new VersionSum(at, bound);
                }

                sum.Add(counted, histogram, at, bound);
            }
        }

        return versions.Select(v =>
            {
                // The histogram answers for the model's own threshold; a series without one (stored before buckets were
                // kept) leaves the version with the fast count at the service-wide threshold it was read with.
                var threshold = ObjectivesOf(v.Key.Item1, objectives).LatencyThresholdMs;
                var (counted, bound) = v.Value.Histogram is { } histogram
                    ? (histogram.AtOrBelow(threshold) is { } fast ? (v.Value.Counted with { Fast = fast.Count }, (double?)fast.Bound) : (v.Value.Counted with { Fast = v.Value.Counted.Successes }, null))
                    : (v.Value.Counted, v.Value.Bound);
                return new VersionWindow(v.Key.Item1, v.Key.Item2, counted, bound);
            })
            .OrderBy(v => v.ModelName, StringComparer.Ordinal).ThenBy(v => v.ModelVersion, StringComparer.Ordinal).ToList();
    }

    /// <summary>A model's objectives: given (stored settings), else configured for it, else service-wide.</summary>
    public SloObjectives ObjectivesOf(string model, IReadOnlyDictionary<string, SloObjectives>? objectives) =>
        objectives?.GetValueOrDefault(model) ?? options.Value.Resolve(options.Value.Models.GetValueOrDefault(model));

    static LatencyBuckets? Buckets(NpgsqlDataReader reader, int bounds, int counts) =>
        reader.IsDBNull(bounds) || reader.IsDBNull(counts) ? null : new(reader.GetFieldValue<double[]>(bounds), reader.GetFieldValue<double[]>(counts));

    /// <summary>One version's window summed over its series; the histogram only while every series has one of the same bounds.</summary>
    sealed class VersionSum(DateTimeOffset at, double? bound)
    {
        bool _histogramComplete = true;

        public SloCounters Counted { get; private set; }

        public LatencyBuckets? Histogram { get; private set; }

        public double? Bound { get; private set; } = bound;

        DateTimeOffset _at = at;

        public void Add(SloCounters counted, LatencyBuckets? histogram, DateTimeOffset at, double? bound)
        {
            Counted += counted;
            if (at > _at)
            {
                (_at, Bound) = (at, bound);
            }

            if (histogram is null || (Histogram is not null && !Histogram.SameBounds(histogram)))
            {
                _histogramComplete = false;
            }

            Histogram = !_histogramComplete ? null
                : Histogram is null ? histogram
                : new LatencyBuckets(Histogram.Bounds, [.. Histogram.Counts.Select((c, i) => c + histogram!.Counts[i])]);
        }
    }

    /// <summary>
    /// Every SLO of every version (of <paramref name="model"/>, or all) with every rule's windows, judged at
    /// <paramref name="now"/> against each model's objectives (<see cref="ObjectivesOf"/>).
    /// </summary>
    public async Task<IReadOnlyList<SloStatus>> StatusAsync(
        NpgsqlConnection connection, string? model, DateTimeOffset now, CancellationToken ct, IReadOnlyDictionary<string, SloObjectives>? objectives = null)
    {
        var durations = options.Value.EffectiveRules.SelectMany(r => (TimeSpan[])[r.LongWindow, r.ShortWindow]).Distinct().ToList();
        var windows = new Dictionary<(string Model, string Version), Dictionary<TimeSpan, SloCounters>>();
        var bounds = new Dictionary<(string, string), double?>();
        foreach (var duration in durations)
        {
            foreach (var window in await WindowAsync(connection, model, duration, now, ct, objectives))
            {
                var key = (window.ModelName, window.ModelVersion);
                if (!windows.TryGetValue(key, out var perDuration))
                {
                    windows[key] = perDuration = [];
                }

                perDuration[duration] = window.Counted;
                bounds[key] = window.LatencyBoundMs;
            }
        }

        return windows.OrderBy(w => w.Key.Model, StringComparer.Ordinal).ThenBy(w => w.Key.Version, StringComparer.Ordinal)
            .SelectMany(w => ((string[])[SloJudge.Availability, SloJudge.Latency])
                .Select(kind => SloJudge.Evaluate(w.Key.Model, w.Key.Version, kind, w.Value, bounds[w.Key], options.Value, now, ObjectivesOf(w.Key.Model, objectives))))
            .ToList();
    }

    /// <summary>
    /// Queues the alert in <c>monitoring_alerts</c> and records the breach as open, unless its version, kind and severity
    /// were reported within the debounce period; the check and the queuing are one transaction. False when debounced.
    /// </summary>
    public async Task<bool> QueueAsync(NpgsqlConnection connection, SloBreached alert, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var recent = new NpgsqlCommand("""
            SELECT 1 FROM slo_debounce WHERE model_name = $1 AND model_version = $2 AND kind = $3 AND severity = $4 AND last_reported_at > $5
            FOR UPDATE
            """, connection, transaction))
        {
            recent.Parameters.Add(new() { Value = alert.ModelName });
            recent.Parameters.Add(new() { Value = alert.ModelVersion });
            recent.Parameters.Add(new() { Value = alert.Kind });
            recent.Parameters.Add(new() { Value = alert.Severity });
            recent.Parameters.Add(new() { Value = alert.DetectedAt - options.Value.Debounce });
            if (await recent.ExecuteScalarAsync(ct) is not null)
            {
                await transaction.RollbackAsync(ct);
                return false;
            }
        }

        await using (var queue = new NpgsqlCommand("""
            WITH alert AS (
                INSERT INTO monitoring_alerts (alert_id, event_type, model_name, model_version, variant, message, detected_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7))
            , opened AS (
                INSERT INTO slo_open_breaches (model_name, model_version, kind, severity, alert_id, breached_at) VALUES ($3, $4, $8, $9, $1, $7)
                ON CONFLICT (model_name, model_version, kind, severity) DO UPDATE SET alert_id = excluded.alert_id, breached_at = excluded.breached_at)
            INSERT INTO slo_debounce (model_name, model_version, kind, severity, last_reported_at) VALUES ($3, $4, $8, $9, $7)
            ON CONFLICT (model_name, model_version, kind, severity) DO UPDATE SET last_reported_at = excluded.last_reported_at
            """, connection, transaction))
        {
            queue.Parameters.Add(new() { Value = alert.AlertId });
            queue.Parameters.Add(new() { Value = nameof(SloBreached) });
            queue.Parameters.Add(new() { Value = alert.ModelName });
            queue.Parameters.Add(new() { Value = alert.ModelVersion });
            queue.Parameters.Add(new() { Value = AllVariants });
            queue.Parameters.Add(new() { Value = JsonSerializer.Serialize(alert, JsonSerializerOptions.Web), NpgsqlDbType = NpgsqlDbType.Jsonb });
            queue.Parameters.Add(new() { Value = alert.DetectedAt });
            queue.Parameters.Add(new() { Value = alert.Kind });
            queue.Parameters.Add(new() { Value = alert.Severity });
            await queue.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
        return true;
    }

    /// <summary>A breach raised and not yet cleared.</summary>
    public sealed record OpenBreach(string ModelName, string ModelVersion, string Kind, string Severity, Guid AlertId, DateTimeOffset BreachedAt);

    /// <summary>Every breach raised and not cleared yet.</summary>
    public async Task<IReadOnlyList<OpenBreach>> OpenBreachesAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT model_name, model_version, kind, severity, alert_id, breached_at FROM slo_open_breaches ORDER BY breached_at", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var open = new List<OpenBreach>();
        while (await reader.ReadAsync(ct))
        {
            open.Add(new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetGuid(4), reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return open;
    }

    /// <summary>
    /// Closes the breach <paramref name="cleared"/> ends and queues the event in <c>monitoring_alerts</c>, in one
    /// transaction; false (nothing queued) when that breach is no longer open (another replica closed it, or a newer
    /// breach replaced it).
    /// </summary>
    public async Task<bool> ClearAsync(NpgsqlConnection connection, SloCleared cleared, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            WITH closed AS (
                DELETE FROM slo_open_breaches WHERE model_name = $3 AND model_version = $4 AND kind = $8 AND severity = $9 AND alert_id = $10
                RETURNING 1)
            INSERT INTO monitoring_alerts (alert_id, event_type, model_name, model_version, variant, message, detected_at)
            SELECT $1, $2, $3, $4, $5, $6, $7 FROM closed
            """, connection);
        command.Parameters.Add(new() { Value = cleared.AlertId });
        command.Parameters.Add(new() { Value = nameof(SloCleared) });
        command.Parameters.Add(new() { Value = cleared.ModelName });
        command.Parameters.Add(new() { Value = cleared.ModelVersion });
        command.Parameters.Add(new() { Value = AllVariants });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(cleared, JsonSerializerOptions.Web), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = cleared.ClearedAt });
        command.Parameters.Add(new() { Value = cleared.Kind });
        command.Parameters.Add(new() { Value = cleared.Severity });
        command.Parameters.Add(new() { Value = cleared.BreachAlertId });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }
}
