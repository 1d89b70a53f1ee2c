namespace Mlops.ServiceDefaults.Metrics;

/// <summary>Reads another service's <c>/metrics</c> (the registry's rollout analysis and monitoring's SLOs both do).</summary>
public static class PrometheusScrape
{
    /// <summary>
    /// The <c>/metrics</c> address under <paramref name="baseAddress"/>; a base address with a path but no trailing slash
    /// would otherwise lose its last segment.
    /// </summary>
    public static Uri MetricsUri(string baseAddress) => new(new Uri(baseAddress.TrimEnd('/') + "/"), "metrics");

    /// <summary>The samples of one read; throws when the service does not answer within <paramref name="timeout"/>.</summary>
    public static async Task<IReadOnlyList<PrometheusSample>> ReadAsync(HttpClient http, Uri metricsUri, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        return PrometheusText.Parse(await http.GetStringAsync(metricsUri, limit.Token));
    }
}
