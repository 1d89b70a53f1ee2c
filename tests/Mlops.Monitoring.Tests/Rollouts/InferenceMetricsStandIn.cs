using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Mlops.Testing;

namespace Mlops.Monitoring.Tests.Rollouts;

/// <summary>
/// A real HTTP endpoint on a scratch port serving <c>/metrics</c> in the exposition format the inference service's
/// OpenTelemetry exporter writes, for every version <see cref="Serve"/> named: each scrape adds 200 predictions, none
/// failed, all under 25 ms — a healthy inference pod under traffic, so a rollout's error-rate and latency gates pass
/// and the quality gates decide. (The registry tests' <c>InferenceMetricsEndpoint</c>, for several models at once.)
/// </summary>
internal sealed class InferenceMetricsStandIn : IAsyncDisposable
{
    const int PerScrape = 200;

    readonly WebApplication _app;
    readonly ConcurrentDictionary<(string Model, string Version), long> _served = new();

    InferenceMetricsStandIn(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<InferenceMetricsStandIn> StartAsync()
    {
        var port = ServiceProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new InferenceMetricsStandIn(app, new Uri($"http://127.0.0.1:{port}/"));
        app.MapGet("/metrics", () => Results.Text(standIn.Scrape(), "text/plain; version=0.0.4"));
        await app.StartAsync();
        return standIn;
    }

    /// <summary>From now on the version is served (its counters start at zero).</summary>
    public void Serve(string model, string version) => _served.TryAdd((model, version), 0);

    string Scrape()
    {
        // One family after the other, each TYPE line once, as the exporter writes them.
        var counts = _served.Keys.Select(key => (Key: key, Successes: _served.AddOrUpdate(key, PerScrape, (_, n) => n + PerScrape))).ToList();
        var lines = new List<string> { "# TYPE mlops_inference_request_duration_milliseconds histogram" };
        foreach (var ((model, version), successes) in counts)
        {
            var labels = $"otel_scope_name=\"Mlops.Inference\",fallback=\"false\",model_name=\"{model}\",model_version=\"{version}\"";
            lines.Add("mlops_inference_request_duration_milliseconds_bucket{" + labels + ",le=\"10\"} " + successes / 2);
            lines.Add("mlops_inference_request_duration_milliseconds_bucket{" + labels + ",le=\"25\"} " + successes);
            lines.Add("mlops_inference_request_duration_milliseconds_bucket{" + labels + ",le=\"+Inf\"} " + successes);
            lines.Add("mlops_inference_request_duration_milliseconds_count{" + labels + "} " + successes);
        }

        lines.Add("# TYPE mlops_inference_request_errors_total counter");
        lines.AddRange(counts.Select(c => "mlops_inference_request_errors_total{otel_scope_name=\"Mlops.Inference\",model_name=\"" + c.Key.Model + "\",model_version=\"" + c.Key.Version + "\"} 0"));
        lines.Add("");
        return string.Join('\n', lines);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
