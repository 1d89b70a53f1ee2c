namespace Mlops.Monitoring.Drift;

/// <summary>Counts per category over the union of both samples' values, in ascending order of value.</summary>
public static class CategoryCounts
{
    /// <summary>The categories and each sample's count of them.</summary>
    public static (IReadOnlyList<double> Categories, long[] Reference, long[] Current) Of(IReadOnlyList<double> reference, IReadOnlyList<double> current)
    {
        var categories = reference.Concat(current).Distinct().Order().ToArray();
        var index = new Dictionary<double, int>(categories.Length);
        for (var i = 0; i < categories.Length; i++)
        {
            index[categories[i]] = i;
        }

        var r = new long[categories.Length];
        var c = new long[categories.Length];
        foreach (var v in reference)
        {
            r[index[v]]++;
        }

        foreach (var v in current)
        {
            c[index[v]]++;
        }

        return (categories, r, c);
    }
}
