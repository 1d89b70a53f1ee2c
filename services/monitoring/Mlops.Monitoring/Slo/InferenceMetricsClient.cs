using Microsoft.Extensions.Options;
using Mlops.ServiceDefaults.Metrics;

namespace Mlops.Monitoring.Slo;

/// <summary>Reads one inference pod's <c>/metrics</c> into one reading per model version it has counted.</summary>
public sealed class InferenceMetricsClient(IHttpClientFactory clients, IOptions<SloOptions> options)
{
    public const string HttpClientName = "inference-metrics";

    /// <summary>The pod's readings; throws when the pod does not answer in time (the caller decides it is transient).</summary>
    public async Task<IReadOnlyList<SloReading>> ReadAsync(Uri baseAddress, CancellationToken ct)
    {
        // A client per scrape (the factory pools handlers), so a long-lived scraper still follows DNS changes.
        var http = clients.CreateClient(HttpClientName);
        var samples = await PrometheusScrape.ReadAsync(http, PrometheusScrape.MetricsUri(baseAddress.ToString()), options.Value.ScrapeTimeout, ct);
        return Readings(baseAddress.ToString(), samples, options.Value.LatencyThresholdMs);
    }

    /// <summary>
    /// One reading per version in the exposition. The latency threshold is rounded up to the first finite bucket bound
    /// at or above it (a histogram cannot count below a bound it does not have); when no finite bound reaches it, no
    /// success can be called slow and the bound is null.
    /// </summary>
    public static IReadOnlyList<SloReading> Readings(string instance, IReadOnlyList<PrometheusSample> samples, double latencyThresholdMs) =>
        VersionCounters.Versions(samples).Select(v =>
        {
            var counters = VersionCounters.From(samples, v.Model, v.Version);
            var fast = counters.AtOrBelow(latencyThresholdMs);
            var finite = counters.Buckets.Where(b => double.IsFinite(b.UpperBound)).ToList();
            return new SloReading(instance, v.Model, v.Version, new(counters.Successes, counters.Errors, fast?.Count ?? counters.Successes), fast?.Bound,
                finite.Count > 0 ? new LatencyBuckets([.. finite.Select(b => b.UpperBound)], [.. finite.Select(b => b.Count)]) : null);
        }).ToList();
}
