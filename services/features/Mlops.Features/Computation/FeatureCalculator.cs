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
        var byCode = SeriesByCode(Inputs(definitions, observations, asOf, knownAt));
        var features = new Dictionary<string, double?>(StringComparer.Ordinal);
        foreach (var aggregation in definitions.Aggregations)
        {
            var series = byCode.GetValueOrDefault(aggregation.Code) ?? [];
            foreach (var window in aggregation.Windows)
            {
                // The series is in event-time order: a window is its tail, found by binary search, never copied.
                ReadOnlySpan<ObservationPoint> inWindow = series.AsSpan(FirstAfter(series, asOf - window));
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

    static readonly Comparison<ObservationPoint> ByTimeThenId = (a, b) =>
        a.EventTime.CompareTo(b.EventTime) is var byTime and not 0 ? byTime : string.CompareOrdinal(a.ObservationId, b.ObservationId);

    /// <summary>
    /// Each code's points ordered by event time, then id (a total order, so the result does not depend on the input's
    /// order). Inputs usually arrive ordered already (the entity window cache keeps them so): they are checked, not sorted.
    /// </summary>
    static Dictionary<string, ObservationPoint[]> SeriesByCode(IEnumerable<ObservationPoint> inputs)
    {
        var lists = new Dictionary<string, List<ObservationPoint>>(StringComparer.Ordinal);
        foreach (var point in inputs)
        {
            if (!lists.TryGetValue(point.Code, out var list))
            {
                lists[point.Code] = list = [];
            }

            list.Add(point);
        }

        var series = new Dictionary<string, ObservationPoint[]>(lists.Count, StringComparer.Ordinal);
        foreach (var (code, list) in lists)
        {
            var points = list.ToArray();
            for (var i = 1; i < points.Length; i++)
            {
                if (ByTimeThenId(points[i - 1], points[i]) > 0)
                {
                    Array.Sort(points, ByTimeThenId);
                    break;
                }
            }

            series[code] = points;
        }

        return series;
    }

    /// <summary>The index of the first point with an event time after <paramref name="start"/> (the window is <c>(start, asOf]</c>).</summary>
    static int FirstAfter(ObservationPoint[] series, DateTimeOffset start)
    {
        int low = 0, high = series.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (series[middle].EventTime > start)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        return low;
    }

    static double? Aggregate(string function, ReadOnlySpan<ObservationPoint> points, DateTimeOffset asOf)
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
            "min" => Min(points),
            "max" => Max(points),
            "std" => points.Length < 2 ? null : StandardDeviation(points),
            "slope" => Slope(points, asOf),
            "time_since_last" => (asOf - points[^1].EventTime).TotalHours,
            _ => throw new InvalidOperationException($"Unknown aggregation function '{function}'."),
        };
    }

    // As Enumerable.Min/Max over doubles (Min: any NaN gives NaN; Max: NaN is skipped unless every value is NaN), so
    // results stay exactly as before; validated values are finite anyway.
    static double Min(ReadOnlySpan<ObservationPoint> points)
    {
        var min = points[0].Value;
        foreach (var point in points)
        {
            if (double.IsNaN(point.Value))
            {
                return double.NaN;
            }

            min = point.Value < min ? point.Value : min;
        }

        return min;
    }

    static double Max(ReadOnlySpan<ObservationPoint> points)
    {
        var max = double.NaN;
        foreach (var point in points)
        {
            if (double.IsNaN(max) || point.Value > max)
            {
                max = point.Value;
            }
        }

        return max;
    }

    static double Mean(ReadOnlySpan<ObservationPoint> points)
    {
        var sum = 0.0;
        foreach (var point in points)
        {
            sum += point.Value;
        }

        return sum / points.Length;
    }

    static double StandardDeviation(ReadOnlySpan<ObservationPoint> points)
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
    static double? Slope(ReadOnlySpan<ObservationPoint> points, DateTimeOffset asOf)
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
