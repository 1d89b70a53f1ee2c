using System.Globalization;
using System.Text.RegularExpressions;

namespace Mlops.ServiceDefaults.Metrics;

/// <summary>Reads the Prometheus text format (what the services' <c>/metrics</c> endpoint serves).</summary>
public static partial class PrometheusText
{
    /// <summary>Every sample line; comments, blank and unreadable lines are skipped (a partial scrape still counts what it has).</summary>
    public static IReadOnlyList<PrometheusSample> Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var match = SampleLine().Match(line);
            if (!match.Success || !TryParseValue(match.Groups["value"].Value, out var value))
            {
                continue;
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in Label().Matches(match.Groups["labels"].Value))
            {
                labels[label.Groups["key"].Value] = Unescape(label.Groups["value"].Value);
            }

            samples.Add(new PrometheusSample(match.Groups["name"].Value, labels, value));
        }

        return samples;
    }

    static bool TryParseValue(string text, out double value) => text switch
    {
        "+Inf" => (value = double.PositiveInfinity) == value,
        "-Inf" => (value = double.NegativeInfinity) == value,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value),
    };

    static string Unescape(string value) => value.Replace("\\\"", "\"").Replace("\\n", "\n").Replace("\\\\", "\\");

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\S+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();
}
