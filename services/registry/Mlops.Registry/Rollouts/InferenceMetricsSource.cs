using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Mlops.ServiceDefaults.Metrics;

namespace Mlops.Registry.Rollouts;

/// <summary>
/// Reads the candidate's counters from every configured inference pod's <c>/metrics</c>, summed. Scoped: one analysis
/// scrapes once, so its error rate and p99 describe the same moment.
/// </summary>
public sealed class InferenceMetricsSource(HttpClient http, IOptions<RolloutOptions> options)
{
    readonly ConcurrentDictionary<(string Model, string Version), Task<(VersionCounters? Counters, string Source)>> readings = new();

    /// <summary>The counters, or the reason they could not be read.</summary>
    public Task<(VersionCounters? Counters, string Source)> ReadAsync(string model, string version, CancellationToken cancellationToken) =>
        readings.GetOrAdd((model, version), key => ScrapeAsync(key.Model, key.Version, cancellationToken));

    async Task<(VersionCounters? Counters, string Source)> ScrapeAsync(string model, string version, CancellationToken cancellationToken)
    {
        var addresses = options.Value.InferenceAddresses;
        if (addresses.Count == 0)
        {
            return (null, "no inference address is configured (Registry:Rollouts:InferenceAddresses)");
        }

        var started = Stopwatch.GetTimestamp();
        var samples = new List<PrometheusSample>();
        foreach (var address in addresses)
        {
            var uri = PrometheusScrape.MetricsUri(address);
            try
            {
                samples.AddRange(await PrometheusScrape.ReadAsync(http, uri, options.Value.MeasurementTimeout, cancellationToken));
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // One unreadable pod makes the whole reading incomplete: a partial sum could hide the failing pod.
                return (null, $"{uri} could not be read: {e.Message}");
            }
        }

        RolloutTelemetry.MeasurementDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("source", "inference"));
        return (VersionCounters.From(samples, model, version), string.Join(", ", addresses.Select(PrometheusScrape.MetricsUri)));
    }
}
