using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mlops.Registry.Tests.Rollouts;

/// <summary>
/// A real HTTP endpoint on a scratch port serving <c>/metrics</c> in the exposition format the inference service's
/// OpenTelemetry exporter writes, for one candidate version: each scrape adds <see cref="PerScrape"/> predictions of
/// which <see cref="ErrorShare"/> fail, all under 25 ms. Stands in for an inference pod under traffic.
/// </summary>
internal sealed class InferenceMetricsEndpoint : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly string _model;
    readonly string _version;
    long _successes;
    long _errors;

    InferenceMetricsEndpoint(WebApplication app, string model, string version)
    {
        _app = app;
        _model = model;
        _version = version;
    }

    public int PerScrape { get; set; } = 200;

    public double ErrorShare { get; set; }

    public string Address { get; private init; } = "";

    public static async Task<InferenceMetricsEndpoint> StartAsync(int port, string model, string version)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var endpoint = new InferenceMetricsEndpoint(app, model, version) { Address = $"http://127.0.0.1:{port}/" };
        app.MapGet("/metrics", () => Results.Text(endpoint.Scrape(), "text/plain; version=0.0.4"));
        await app.StartAsync();
        return endpoint;
    }

    string Scrape()
    {
        lock (this)
        {
            var errors = (long)Math.Round(PerScrape * ErrorShare);
            _errors += errors;
            _successes += PerScrape - errors;
            var labels = $"otel_scope_name=\"Mlops.Inference\",fallback=\"false\",model_name=\"{_model}\",model_version=\"{_version}\"";
            var scope = $"otel_scope_name=\"Mlops.Inference\",model_name=\"{_model}\",model_version=\"{_version}\"";
            return string.Join('\n',
                "# TYPE mlops_inference_request_duration_milliseconds histogram",
                "mlops_inference_request_duration_milliseconds_bucket{" + labels + ",le=\"10\"} " + _successes / 2,
                "mlops_inference_request_duration_milliseconds_bucket{" + labels + ",le=\"25\"} " + _successes,
                "mlops_inference_request_duration_milliseconds_bucket{" + labels + ",le=\"+Inf\"} " + _successes,
                "mlops_inference_request_duration_milliseconds_count{" + labels + "} " + _successes,
                "# TYPE mlops_inference_request_errors_total counter",
                "mlops_inference_request_errors_total{" + scope + "} " + _errors,
                "");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
