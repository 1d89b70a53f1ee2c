using System.Text.Json;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Mlops.Monitoring.Slo;

/// <summary>
/// The SQL behind SLOs: storing scraped readings with their running totals, what each version counted over a window,
/// and queuing <c>SloBreached</c> alerts (debounced) in the alert outbox.
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
        var previous = new Dictionary<(string, string, string), (SloCounters Raw, SloCounters Total)>();
        await using (var select = new NpgsqlCommand("""
            SELECT DISTINCT ON (instance, model_name, model_version) instance, model_name, model_version,
                   successes, errors, fast, total_successes, total_errors, total_fast
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
                    new(reader.GetDouble(6), reader.GetDouble(7), reader.GetDouble(8)));
            }
        }

        foreach (var reading in readings)
        {
            var before = previous.TryGetValue((reading.Instance, reading.ModelName, reading.ModelVersion), out var p) ? p : ((SloCounters, SloCounters)?)null;
            var total = SloJudge.Accumulate(before?.Item1, before?.Item2 ?? default, reading.Raw);
            await using var insert = new NpgsqlCommand("""
                INSERT INTO slo_readings (instance, model_name, model_version, scraped_at, successes, errors, fast, latency_bound_ms,
                                          total_successes, total_errors, total_fast)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
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
        NpgsqlConnection connection, string? model, TimeSpan duration, DateTimeOffset now, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            WITH series AS (
                SELECT * FROM slo_readings WHERE scraped_at <= $2 AND ($1::text IS NULL OR model_name = $1)),
            ends AS (
                SELECT DISTINCT ON (instance, model_name, model_version) instance, model_name, model_version,
                       total_successes, total_errors, total_fast, latency_bound_ms, scraped_at
                FROM series ORDER BY instance, model_name, model_version, scraped_at DESC),
            starts AS (
                SELECT DISTINCT ON (instance, model_name, model_version) instance, model_name, model_version,
                       total_successes, total_errors, total_fast
                FROM series
                ORDER BY instance, model_name, model_version, (scraped_at <= $3) DESC,
                         CASE WHEN scraped_at <= $3 THEN scraped_at END DESC, scraped_at)
            SELECT e.model_name, e.model_version, s.total_successes, s.total_errors, s.total_fast,
                   e.total_successes, e.total_errors, e.total_fast, e.latency_bound_ms, e.scraped_at
            FROM ends e JOIN starts s USING (instance, model_name, model_version)
            """, connection);
        command.Parameters.Add(new() { Value = (object?)model ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = now });
        command.Parameters.Add(new() { Value = now - duration });
        var versions = new Dictionary<(string, string), (SloCounters Counted, double? Bound, DateTimeOffset At)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var key = (reader.GetString(0), reader.GetString(1));
            var counted = SloJudge.Increase(
                new(reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4)),
                new(reader.GetDouble(5), reader.GetDouble(6), reader.GetDouble(7)));
            double? bound = reader.IsDBNull(8) ? null : reader.GetDouble(8);
            var at = reader.GetFieldValue<DateTimeOffset>(9);
            versions[key] = versions.TryGetValue(key, out var sum)
                ? (sum.Counted + counted, at > sum.At ? bound : sum.Bound, at > sum.At ? at : sum.At)
                : (counted, bound, at);
        }

        return versions.Select(v => new VersionWindow(v.Key.Item1, v.Key.Item2, v.Value.Counted, v.Value.Bound))
            .OrderBy(v => v.ModelName, StringComparer.Ordinal).ThenBy(v => v.ModelVersion, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Every SLO of every version (of <paramref name="model"/>, or all) with every rule's windows, judged at
    /// <paramref name="now"/>.
    /// </summary>
    public async Task<IReadOnlyList<SloStatus>> StatusAsync(NpgsqlConnection connection, string? model, DateTimeOffset now, CancellationToken ct)
    {
        var durations = options.Value.EffectiveRules.SelectMany(r => (TimeSpan[])[r.LongWindow, r.ShortWindow]).Distinct().ToList();
        var windows = new Dictionary<(string Model, string Version), Dictionary<TimeSpan, SloCounters>>();
        var bounds = new Dictionary<(string, string), double?>();
        foreach (var duration in durations)
        {
            foreach (var window in await WindowAsync(connection, model, duration, now, ct))
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
                .Select(kind => SloJudge.Evaluate(w.Key.Model, w.Key.Version, kind, w.Value, bounds[w.Key], options.Value, now)))
            .ToList();
    }

    /// <summary>
    /// Queues the alert in <c>monitoring_alerts</c> unless its version, kind and severity were reported within the
    /// debounce period; the check and the queuing are one transaction. False when debounced.
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
}
