using System.Globalization;

namespace Mlops.ServiceDefaults.Metrics;

/// <summary>
/// A model version's request counters read from the inference service's Prometheus endpoint: the latency histogram
/// <c>mlops.inference.request.duration</c> (successful predictions, per model, version and bucket) and the counter
/// <c>mlops.inference.request.errors</c> (failed ones). Both are cumulative since the pod started; an analysis
/// subtracts the previous analysis's reading to cover its own interval.
/// </summary>
public sealed record VersionCounters(double Successes, double Errors, IReadOnlyList<(double UpperBound, double Count)> Buckets)
{
    const string LatencyPrefix = "mlops_inference_request_duration";
    const string ErrorsPrefix = "mlops_inference_request_errors";

    /// <summary>The counters of one model version, summed over variants; fallback answers are not the version's own and are left out.</summary>
    public static VersionCounters From(IReadOnlyList<PrometheusSample> samples, string model, string version)
    {
        bool Matches(PrometheusSample s) =>
            s.Labels.GetValueOrDefault("model_name") == model && s.Labels.GetValueOrDefault("model_version") == version
            && s.Labels.GetValueOrDefault("fallback") is null or "false";

        var mine = samples.Where(Matches).ToList();
        var successes = mine.Where(s => s.Name.StartsWith(LatencyPrefix, StringComparison.Ordinal) && s.Name.EndsWith("_count", StringComparison.Ordinal)).Sum(s => s.Value);
        var errors = mine.Where(s => s.Name.StartsWith(ErrorsPrefix, StringComparison.Ordinal) && !s.Name.EndsWith("_created", StringComparison.Ordinal)).Sum(s => s.Value);
        var buckets = mine.Where(s => s.Name.StartsWith(LatencyPrefix, StringComparison.Ordinal) && s.Name.EndsWith("_bucket", StringComparison.Ordinal))
            .GroupBy(s => Bound(s.Labels.GetValueOrDefault("le")))
            .Select(g => (g.Key, g.Sum(s => s.Value)))
            .OrderBy(b => b.Key)
            .ToList();
        return new VersionCounters(successes, errors, buckets);
    }

    /// <summary>Every (model, version) the exposition has inference counters of its own for (not only fallback answers), in order.</summary>
    public static IReadOnlyList<(string Model, string Version)> Versions(IReadOnlyList<PrometheusSample> samples) =>
        samples.Where(s => s.Name.StartsWith(LatencyPrefix, StringComparison.Ordinal) || s.Name.StartsWith(ErrorsPrefix, StringComparison.Ordinal))
            .Where(s => s.Labels.GetValueOrDefault("fallback") is null or "false")
            .Select(s => (Model: s.Labels.GetValueOrDefault("model_name"), Version: s.Labels.GetValueOrDefault("model_version")))
            .Where(v => v.Model is not null && v.Version is not null)
            .Select(v => (v.Model!, v.Version!))
            .Distinct()
            .OrderBy(v => v.Item1, StringComparer.Ordinal).ThenBy(v => v.Item2, StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// Successes that took at most the first bucket bound at or above <paramref name="threshold"/>, and that bound. A
    /// histogram only knows its bounds, so a threshold between two bounds is rounded up to the next one (the count is
    /// then of requests at most that bound); null when no finite bound reaches the threshold.
    /// </summary>
    public (double Bound, double Count)? AtOrBelow(double threshold) =>
        Buckets.Where(b => b.UpperBound >= threshold && !double.IsPositiveInfinity(b.UpperBound)).Select(b => ((double, double)?)b).FirstOrDefault();

    /// <summary>The counters as a flat snapshot (stored in the rollout as the next analysis's baseline).</summary>
    public IReadOnlyDictionary<string, double> ToSnapshot()
    {
        var snapshot = new Dictionary<string, double> { [SuccessesKey] = Successes, [ErrorsKey] = Errors };
        foreach (var (bound, count) in Buckets)
        {
            snapshot[BucketKey(bound)] = count;
        }

        return snapshot;
    }

    /// <summary>What was counted since <paramref name="baseline"/>.</summary>
    public VersionCounters Since(IReadOnlyDictionary<string, double> baseline)
    {
        // A counter below its baseline means the pod restarted: everything it counted since falls in the interval.
        IReadOnlyDictionary<string, double> reference = ToSnapshot().Any(kv => baseline.TryGetValue(kv.Key, out var before) && before > kv.Value)
            ? new Dictionary<string, double>()
            : baseline;
        double Delta(string key, double now) => reference.TryGetValue(key, out var before) ? now - before : now;
        return new VersionCounters(
            Delta(SuccessesKey, Successes), Delta(ErrorsKey, Errors),
            Buckets.Select(b => (b.UpperBound, Delta(BucketKey(b.UpperBound), b.Count))).ToList());
    }

    /// <summary>
    /// The q-quantile from cumulative buckets, interpolating linearly inside the bucket that holds it (as PromQL's
    /// histogram_quantile does); the open last bucket answers with its lower bound. Null without observations.
    /// </summary>
    public double? Quantile(double q)
    {
        var total = Buckets.Count > 0 ? Buckets[^1].Count : 0;
        if (total <= 0)
        {
            return null;
        }

        var rank = q * total;
        var lower = 0.0;
        var below = 0.0;
        foreach (var (bound, count) in Buckets)
        {
            if (count >= rank)
            {
                if (double.IsPositiveInfinity(bound))
                {
                    return lower;
                }

                var inBucket = count - below;
                return inBucket <= 0 ? bound : lower + (bound - lower) * (rank - below) / inBucket;
            }

            lower = bound;
            below = count;
        }

        return lower;
    }

    const string SuccessesKey = "inference.successes";
    const string ErrorsKey = "inference.errors";

    static string BucketKey(double bound) => "inference.bucket." + (double.IsPositiveInfinity(bound) ? "+Inf" : bound.ToString("R", CultureInfo.InvariantCulture));

    static double Bound(string? le) => le switch
    {
        null => double.NaN,
        "+Inf" => double.PositiveInfinity,
        _ => double.Parse(le, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}
