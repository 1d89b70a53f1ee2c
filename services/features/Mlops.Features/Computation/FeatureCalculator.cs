using Mlops.Features.Definitions;

namespace Mlops.Features.Computation;

/// <summary>
/// Computes a feature vector for one entity at an evaluation time from its observations, by event time. A pure
/// function of the observation set: arrival order cannot change the result, which is what makes streaming,
/// late events, backfill and point-in-time training sets agree.
/// </summary>
public static class FeatureCalculator
{
    /// <summary>
    /// Features at <paramref name="asOf"/> over windows <c>(asOf − w, asOf]</c>. When <paramref name="knownAt"/> is
    /// given, observations known only after it are ignored (point-in-time correctness).
    /// </summary>
    public static Dictionary<string, double?> Compute(
        FeatureDefinitions definitions, IEnumerable<ObservationPoint> observations, DateTimeOffset asOf, DateTimeOffset? knownAt = null)
    {
        var byCode = Inputs(definitions, observations, asOf, knownAt)
            .GroupBy(o => o.Code, StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g => g.OrderBy(o => o.EventTime).ThenBy(o => o.ObservationId, StringComparer.Ordinal).ToArray(),
                StringComparer.Ordinal);

        var features = new Dictionary<string, double?>(StringComparer.Ordinal);
        foreach (var aggregation in definitions.Aggregations)
        {
            var series = byCode.GetValueOrDefault(aggregation.Code) ?? [];
            foreach (var window in aggregation.Windows)
            {
                var inWindow = series.Where(o => o.EventTime > asOf - window).ToArray();
                foreach (var function in aggregation.Functions)
                {
                    features[FeatureDefinitions.FeatureName(aggregation.Code, function, window)] = Aggregate(function, inWindow, asOf);
                }
            }
        }

        foreach (var ratio in definitions.Ratios)
        {
            features[ratio.Name] = features.GetValueOrDefault(ratio.Numerator) is { } numerator
                && features.GetValueOrDefault(ratio.Denominator) is { } denominator && denominator != 0
                ? numerator / denominator
                : null;
        }

        if (definitions.EarlyWarningScore)
        {
            var latest = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var code in EarlyWarningScore.Codes)
            {
                if (byCode.TryGetValue(code, out var series) && series.LastOrDefault(o => o.EventTime > asOf - definitions.LatestVitalsWindow) is { ObservationId: not null } last)
                {
                    latest[code] = last.Value;
                }
            }

            features["news2"] = EarlyWarningScore.Compute(latest);
        }

        return features;
    }

    /// <summary>
    /// The observations a vector at <paramref name="asOf"/> is computed from: in the set's horizon
    /// <c>(asOf − horizon, asOf]</c> and, when <paramref name="knownAt"/> is given, known by then. Their ids and latest
    /// known-at are the vector's lineage: computing again as known at that time selects the same observations.
    /// </summary>
    public static IEnumerable<ObservationPoint> Inputs(
        FeatureDefinitions definitions, IEnumerable<ObservationPoint> observations, DateTimeOffset asOf, DateTimeOffset? knownAt = null)
    {
        var horizonStart = asOf - definitions.Horizon;
        return observations.Where(o => o.EventTime <= asOf && o.EventTime > horizonStart && (knownAt is null || o.KnownAt <= knownAt));
    }

    static double? Aggregate(string function, ObservationPoint[] points, DateTimeOffset asOf)
    {
        if (function == "count")
        {
            return points.Length;
        }

        if (points.Length == 0)
        {
            return null;
        }

        return function switch
        {
            "last" => points[^1].Value,
            "mean" => Mean(points),
            "min" => points.Min(p => p.Value),
            "max" => points.Max(p => p.Value),
            "std" => points.Length < 2 ? null : StandardDeviation(points),
            "slope" => Slope(points, asOf),
            "time_since_last" => (asOf - points[^1].EventTime).TotalHours,
            _ => throw new InvalidOperationException($"Unknown aggregation function '{function}'."),
        };
    }

    static double Mean(ObservationPoint[] points)
    {
        var sum = 0.0;
        foreach (var point in points)
        {
            sum += point.Value;
        }

        return sum / points.Length;
    }

    static double StandardDeviation(ObservationPoint[] points)
    {
        var mean = Mean(points);
        var squares = 0.0;
        foreach (var point in points)
        {
            squares += (point.Value - mean) * (point.Value - mean);
        }

        return Math.Sqrt(squares / (points.Length - 1));
    }

    /// <summary>Least-squares slope in value units per hour; null without two distinct times.</summary>
    static double? Slope(ObservationPoint[] points, DateTimeOffset asOf)
    {
        if (points.Length < 2)
        {
            return null;
        }

        double meanX = 0, meanY = 0;
        foreach (var point in points)
        {
            meanX += (point.EventTime - asOf).TotalHours;
            meanY += point.Value;
        }

        meanX /= points.Length;
        meanY /= points.Length;
        double covariance = 0, variance = 0;
        foreach (var point in points)
        {
            var dx = (point.EventTime - asOf).TotalHours - meanX;
            covariance += dx * (point.Value - meanY);
            variance += dx * dx;
        }

        return variance == 0 ? null : covariance / variance;
    }
}
