namespace Mlops.Monitoring.Drift;

/// <summary>
/// Evidently's binning of two samples into shares (its <c>get_binned_data</c>), which PSI and Jensen–Shannon share:
/// <list type="bullet">
/// <item>a numeric feature whose reference has more than <see cref="MaxCategoricalValues"/> distinct values gets
/// <c>bins</c> equal-width bins over the range of both samples together (numpy's <c>histogram_bin_edges</c>; every bin
/// half-open except the last, which is closed);</item>
/// <item>otherwise every distinct value of either sample is its own bin;</item>
/// <item>shares are counts over the sample's size; with <c>fillZeros</c> (PSI, not Jensen–Shannon) an empty bin gets
/// 0.0001, or a millionth of the smallest non-zero share when that share is itself at most 0.0001, so the logarithm is
/// finite.</item>
/// </list>
/// </summary>
public static class DistributionBinning
{
    /// <summary>Distinct reference values up to which a numeric feature is binned by value rather than by range.</summary>
    public const int MaxCategoricalValues = 20;

    /// <summary>Evidently's default number of bins for PSI and Jensen–Shannon.</summary>
    public const int DefaultBins = 30;

    /// <summary>Reference and current shares per bin.</summary>
    public static (double[] Reference, double[] Current) Shares(
        IReadOnlyList<double> reference, IReadOnlyList<double> current, bool numeric, int bins, bool fillZeros)
    {
        if (reference.Count == 0 || current.Count == 0)
        {
            throw new ArgumentException("Both samples need at least one value.");
        }

        long[] r, c;
        if (numeric && reference.Distinct().Count() > MaxCategoricalValues)
        {
            var edges = HistogramEdges(reference.Concat(current), bins);
            r = Histogram(reference, edges);
            c = Histogram(current, edges);
        }
        else
        {
            (_, r, c) = CategoryCounts.Of(reference, current);
        }

        var rs = r.Select(x => (double)x / reference.Count).ToArray();
        var cs = c.Select(x => (double)x / current.Count).ToArray();
        if (fillZeros)
        {
            FillZeros(rs);
            FillZeros(cs);
        }

        return (rs, cs);
    }

    /// <summary>numpy's <c>histogram_bin_edges(values, bins)</c>: <c>linspace(min, max, bins + 1)</c>, widened by ±0.5 for a constant sample.</summary>
    public static double[] HistogramEdges(IEnumerable<double> values, int bins)
    {
        double first = double.PositiveInfinity, last = double.NegativeInfinity;
        foreach (var v in values)
        {
            first = Math.Min(first, v);
            last = Math.Max(last, v);
        }

        if (first == last)
        {
            first -= 0.5;
            last += 0.5;
        }

        // linspace: start + i·step with step = (stop − start)/num, the end point set exactly.
        var edges = new double[bins + 1];
        var step = (last - first) / bins;
        for (var i = 0; i < bins; i++)
        {
            edges[i] = i * step + first;
        }

        edges[bins] = last;
        return edges;
    }

    /// <summary>numpy's <c>histogram</c> with uniform edges: the bin from the scaled offset, corrected against the edges themselves.</summary>
    public static long[] Histogram(IReadOnlyList<double> values, double[] edges)
    {
        var bins = edges.Length - 1;
        double first = edges[0], last = edges[^1];
        var norm = bins / (last - first);
        var counts = new long[bins];
        foreach (var v in values)
        {
            if (v < first || v > last)
            {
                continue;
            }

            var index = (int)((v - first) * norm);
            if (index == bins)
            {
                index--;
            }

            if (v < edges[index])
            {
                index--;
            }
            else if (index != bins - 1 && v >= edges[index + 1])
            {
                index++;
            }

            counts[index]++;
        }

        return counts;
    }

    static void FillZeros(double[] shares)
    {
        var smallest = shares.Where(s => s != 0).DefaultIfEmpty(0).Min();
        var fill = smallest <= 0.0001 ? smallest / 1_000_000 : 0.0001;
        for (var i = 0; i < shares.Length; i++)
        {
            if (shares[i] == 0)
            {
                shares[i] = fill;
            }
        }
    }
}
