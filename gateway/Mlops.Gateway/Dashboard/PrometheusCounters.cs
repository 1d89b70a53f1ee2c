using System.Globalization;

namespace Mlops.Gateway.Dashboard;

/// <summary>Requests and server errors a service has answered, read from its Prometheus text (<c>/metrics</c>).</summary>
public readonly record struct RequestCounts(double Requests, double Errors)
{
    const string Series = "http_server_request_duration_seconds_count{";

    /// <summary>
    /// Sums <c>http.server.request.duration</c>'s counts over every route except the probes and the scrape itself
    /// (the feed's own polling would otherwise be most of a quiet service's traffic); errors are 5xx answers.
    /// </summary>
    public static RequestCounts Parse(string text)
    {
        double requests = 0, errors = 0;
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (!line.StartsWith(Series, StringComparison.Ordinal))
            {
                continue;
            }

            var close = line.LastIndexOf('}');
            if (close < 0)
            {
                continue;
            }

            var labels = line[..close];
            if (labels.Contains("http_route=\"/health", StringComparison.Ordinal) || labels.Contains("http_route=\"/metrics", StringComparison.Ordinal))
            {
                continue;
            }

            var rest = line[(close + 1)..].Trim();
            var space = rest.IndexOf(' ');
            var number = space < 0 ? rest : rest[..space];
            if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || double.IsNaN(value))
            {
                continue;
            }

            requests += value;
            if (labels.Contains("http_response_status_code=\"5", StringComparison.Ordinal))
            {
                errors += value;
            }
        }

        return new RequestCounts(requests, errors);
    }
}
