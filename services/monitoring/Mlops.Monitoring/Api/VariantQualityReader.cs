using Microsoft.Extensions.Options;
using Mlops.Monitoring.Performance;
using Mlops.Monitoring.Storage;
using Mlops.Monitoring.Windows;
using Npgsql;

namespace Mlops.Monitoring.Api;

/// <summary>
/// Every version and variant of a model that predicted since a moment, side by side: outcome-based quality over all
/// its labelled predictions of the period (not per window: a canary step is shorter than a performance window, and
/// AUROC is not an average of windows) and the newest judged drift window. What a rollout's analysis compares the
/// candidate with the champion on.
/// </summary>
public sealed class VariantQualityReader(MonitoringDatabase database, IOptions<DriftOptions> driftOptions)
{
    /// <summary>The newest drift window judged for a version and variant in the period.</summary>
    public sealed record DriftSummary(
        long WindowId, string Kind, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, int EvaluatedFeatures, int DriftedFeatures, double DriftedShare,
        bool DatasetDrift);

    /// <summary>
    /// One version and variant over the period; <see cref="Correct"/> counts the labelled predictions whose decision at
    /// the asked threshold (probability ≥ threshold) agreed with the label (null when no threshold was asked).
    /// </summary>
    public sealed record VariantQuality(
        string ModelVersion, string Variant, int Predictions, int Labeled, int Positives, int? Correct, double? Auroc, double? Brier, DriftSummary? Drift)
    {
        /// <summary>
        /// The model's drift window settings in force: while <see cref="Drift"/> is null, how many predictions (or how
        /// long) a window of this version and variant takes — what a rollout's analysis names when it has to wait.
        /// </summary>
        public DriftWindowSettings? DriftWindows { get; init; }
    }

    /// <summary>
    /// The period's versions and variants; with <paramref name="countsOnly"/> only the counts (no AUROC or Brier), summed
    /// by PostgreSQL instead of read row by row.
    /// </summary>
    public async Task<IReadOnlyList<VariantQuality>> SinceAsync(string model, DateTimeOffset from, double? threshold, bool countsOnly, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var drift = await NewestDriftAsync(connection, model, from, ct);
        var quality = countsOnly
            ? await CountsAsync(connection, model, from, threshold, ct)
            : await ScoredAsync(connection, model, from, threshold, ct);
        var windows = driftOptions.Value.For(model);
        // A version and variant with a drift window but no prediction in the period shows with zero counts.
        return quality.Keys.Union(drift.Keys)
            .OrderBy(k => k.Version, StringComparer.Ordinal).ThenBy(k => k.Variant, StringComparer.Ordinal)
            .Select(k => (quality.TryGetValue(k, out var q) ? q : new VariantQuality(k.Version, k.Variant, 0, 0, 0, threshold is null ? null : 0, null, null, null))
                with { Drift = drift.GetValueOrDefault(k), DriftWindows = windows })
            .ToList();
    }

    // Every prediction of the period read, for AUROC and Brier over all its labelled ones.
    static async Task<Dictionary<(string Version, string Variant), VariantQuality>> ScoredAsync(
        NpgsqlConnection connection, string model, DateTimeOffset from, double? threshold, CancellationToken ct)
    {
        var samples = new Dictionary<(string Version, string Variant), (int Predictions, List<double> Scores, List<int> Outcomes)>();
        await using (var command = new NpgsqlCommand("""
            SELECT model_version, variant, probability, outcome FROM prediction_samples WHERE model_name = $1 AND predicted_at >= $2
            """, connection))
        {
            command.Parameters.Add(new() { Value = model });
            command.Parameters.Add(new() { Value = from.UtcDateTime });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var key = (reader.GetString(0), reader.GetString(1));
                if (!samples.TryGetValue(key, out var group))
                {
                    group = (0, [], []);
                }

                group.Predictions++;
                if (!reader.IsDBNull(3))
                {
                    group.Scores.Add(reader.GetDouble(2));
                    group.Outcomes.Add(reader.GetDouble(3) >= 0.5 ? 1 : 0);
                }

                samples[key] = group;
            }
        }

        return samples.ToDictionary(kv => kv.Key, kv =>
        {
            var (predictions, scores, outcomes) = kv.Value;
            var positives = outcomes.Sum();
            int? correct = threshold is { } t ? scores.Where((p, i) => (p >= t ? 1 : 0) == outcomes[i]).Count() : null;
            // AUROC needs both classes among the labelled predictions; Brier only labels.
            double? auroc = positives > 0 && positives < outcomes.Count ? ClassificationMetrics.Auroc(scores, outcomes) : null;
            double? brier = outcomes.Count > 0 ? ClassificationMetrics.Brier(scores, outcomes) : null;
            return new VariantQuality(kv.Key.Version, kv.Key.Variant, predictions, outcomes.Count, positives, correct, auroc, brier, null);
        });
    }

    static async Task<Dictionary<(string Version, string Variant), DriftSummary>> NewestDriftAsync(
        NpgsqlConnection connection, string model, DateTimeOffset from, CancellationToken ct)
    {
        var drift = new Dictionary<(string Version, string Variant), DriftSummary>();
        await using var command = new NpgsqlCommand("""
            SELECT DISTINCT ON (model_version, variant) model_version, variant, window_id, kind, window_start, window_end, evaluated_features,
                   drifted_features, dataset_drift
            FROM drift_windows WHERE model_name = $1 AND window_end >= $2 AND dataset_drift IS NOT NULL AND evaluated_features > 0
            ORDER BY model_version, variant, window_end DESC, window_id DESC
            """, connection);
        command.Parameters.Add(new() { Value = model });
        command.Parameters.Add(new() { Value = from.UtcDateTime });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var evaluated = reader.GetInt32(6);
            var drifted = reader.GetInt32(7);
            drift[(reader.GetString(0), reader.GetString(1))] = new DriftSummary(
                reader.GetInt64(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5),
                evaluated, drifted, (double)drifted / evaluated, reader.GetBoolean(8));
        }

        return drift;
    }

    // Counted in the database: an A/B experiment asks every 30 s for the whole period, which may hold many thousands of
    // predictions, and needs only the counts — no AUROC, so no row has to leave PostgreSQL.
    static async Task<Dictionary<(string Version, string Variant), VariantQuality>> CountsAsync(
        NpgsqlConnection connection, string model, DateTimeOffset from, double? threshold, CancellationToken ct)
    {
        var counts = new Dictionary<(string Version, string Variant), VariantQuality>();
        await using var command = new NpgsqlCommand("""
            SELECT model_version, variant, count(*)::integer, count(outcome)::integer, (count(*) FILTER (WHERE outcome >= 0.5))::integer,
                   CASE WHEN $3::double precision IS NULL THEN NULL
                        ELSE (count(*) FILTER (WHERE outcome IS NOT NULL AND (probability >= $3) = (outcome >= 0.5)))::integer END
            FROM prediction_samples WHERE model_name = $1 AND predicted_at >= $2
            GROUP BY model_version, variant
            """, connection);
        command.Parameters.Add(new() { Value = model });
        command.Parameters.Add(new() { Value = from.UtcDateTime });
        command.Parameters.Add(new() { Value = (object?)threshold ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var (version, variant) = (reader.GetString(0), reader.GetString(1));
            counts[(version, variant)] = new VariantQuality(
                version, variant, reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4), reader.IsDBNull(5) ? null : reader.GetInt32(5), null, null, null);
        }

        return counts;
    }
}
