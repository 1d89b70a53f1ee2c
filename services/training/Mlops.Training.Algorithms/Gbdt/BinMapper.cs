namespace Mlops.Training.Algorithms.Gbdt;

/// <summary>
/// Maps each feature to at most <see cref="MaxValueBins"/> value bins plus one bin for missing values, from
/// quantile thresholds fitted on training data. Bin b holds x with thresholds[b-1] &lt; x &lt;= thresholds[b], so a
/// split "bin &lt;= b" is exactly "x &lt;= thresholds[b]" on raw values — which is what the exported model tests.
/// </summary>
public sealed class BinMapper
{
    /// <summary>Bins available for non-missing values.</summary>
    public const int MaxValueBins = 255;

    /// <summary>The bin every missing value (NaN) falls into.</summary>
    public const byte MissingBin = 255;

    private const int MaxRowsForQuantiles = 200_000;

    private BinMapper(float[][] thresholds) => Thresholds = thresholds;

    /// <summary>Per feature, ascending upper bounds of every bin but the last value bin.</summary>
    public float[][] Thresholds { get; }

    public int Features => Thresholds.Length;

    /// <summary>Fits thresholds per feature: midpoints between distinct values, or between quantiles when there are more.</summary>
    public static BinMapper Fit(float[] features, int rows, int columns, int maxBins = MaxValueBins, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBins, MaxValueBins);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBins, 2);
        int[]? sample = null;
        if (rows > MaxRowsForQuantiles)
        {
            // Quantiles from a fixed-seed subsample, as on large data an exact sort per feature buys nothing.
            sample = Enumerable.Range(0, rows).ToArray();
            new Random(seed).Shuffle(sample);
            sample = sample[..MaxRowsForQuantiles];
            Array.Sort(sample);
        }

        var thresholds = new float[columns][];
        Parallel.For(0, columns, f =>
        {
            var n = sample?.Length ?? rows;
            var values = new List<float>(n);
            for (var i = 0; i < n; i++)
            {
                var v = features[((sample?[i]) ?? i) * columns + f];
                if (!float.IsNaN(v))
                {
                    values.Add(v);
                }
            }

            thresholds[f] = FeatureThresholds(values, maxBins);
        });
        return new BinMapper(thresholds);
    }

    /// <summary>Restores a mapper from thresholds.</summary>
    public static BinMapper FromThresholds(float[][] thresholds) => new(thresholds);

    public byte Bin(int feature, float value)
    {
        if (float.IsNaN(value))
        {
            return MissingBin;
        }

        var t = Thresholds[feature];
        int lo = 0, hi = t.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (value <= t[mid])
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return (byte)lo;
    }

    /// <summary>Bins row-major features into one byte column per feature.</summary>
    public byte[][] Transform(float[] features, int rows)
    {
        var columns = Features;
        var binned = new byte[columns][];
        Parallel.For(0, columns, f =>
        {
            var col = new byte[rows];
            for (var r = 0; r < rows; r++)
            {
                col[r] = Bin(f, features[r * columns + f]);
            }

            binned[f] = col;
        });
        return binned;
    }

    private static float[] FeatureThresholds(List<float> values, int maxBins)
    {
        values.Sort();
        var distinct = new List<float>();
        var counts = new List<int>();
        foreach (var v in values)
        {
            if (distinct.Count > 0 && distinct[^1] == v)
            {
                counts[^1]++;
            }
            else
            {
                distinct.Add(v);
                counts.Add(1);
            }
        }

        if (distinct.Count <= maxBins)
        {
            var mids = new float[Math.Max(0, distinct.Count - 1)];
            for (var i = 0; i < mids.Length; i++)
            {
                mids[i] = Midpoint(distinct[i], distinct[i + 1]);
            }

            return mids;
        }

        // Quantile cut points on the sorted values, deduplicated, each a midpoint between neighbouring values.
        var result = new List<float>(maxBins - 1);
        for (var q = 1; q < maxBins; q++)
        {
            var pos = (int)((long)q * values.Count / maxBins);
            pos = Math.Clamp(pos, 1, values.Count - 1);
            var t = Midpoint(values[pos - 1], values[pos]);
            if (values[pos - 1] == values[pos])
            {
                t = values[pos];
            }

            if (result.Count == 0 || t > result[^1])
            {
                result.Add(t);
            }
        }

        if (result.Count > 0 && result[^1] >= values[^1])
        {
            result.RemoveAt(result.Count - 1);
        }

        return [.. result];
    }

    private static float Midpoint(float a, float b)
    {
        var m = (float)((a + (double)b) / 2);
        // Rounding may land on b; the threshold must keep a on the left and b on the right.
        return m >= b ? a : m;
    }
}
