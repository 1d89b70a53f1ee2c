using System.Text.RegularExpressions;

namespace Mlops.Training.Data;

/// <summary>A run's choice of features: names, or patterns where <c>*</c> stands for any run of characters (<c>heart_rate_*</c>).</summary>
public static class FeatureSelection
{
    /// <summary>
    /// The available features the request names, in ordinal order, and the requested names or patterns that match
    /// none. An empty request selects every available feature.
    /// </summary>
    public static (IReadOnlyList<string> Selected, IReadOnlyList<string> Unknown) Resolve(IEnumerable<string> available, IReadOnlyList<string> requested)
    {
        var names = available.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (requested.Count == 0)
        {
            return (names, []);
        }

        var selected = new SortedSet<string>(StringComparer.Ordinal);
        var unknown = new List<string>();
        foreach (var pattern in requested.Select(p => p.Trim()).Where(p => p.Length > 0).Distinct(StringComparer.Ordinal))
        {
            var matcher = new Regex("^" + string.Join(".*", pattern.Split('*').Select(Regex.Escape)) + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            var matched = names.Where(n => matcher.IsMatch(n)).ToArray();
            if (matched.Length == 0)
            {
                unknown.Add(pattern);
            }

            selected.UnionWith(matched);
        }

        return (selected.ToArray(), unknown);
    }
}
