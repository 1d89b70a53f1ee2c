using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mlops.Monitoring.Slo;
using Mlops.ServiceDefaults.Metrics;

namespace Mlops.Monitoring.Tests.Slo;

/// <summary>Turning inference's Prometheus text into SLO readings, and what readiness says when it cannot be read.</summary>
public sealed class InferenceMetricsClientTests
{
    // The shape the OpenTelemetry Prometheus exporter gives inference's histogram and error counter.
    const string Exposition = """
        # TYPE mlops_inference_request_duration_milliseconds histogram
        mlops_inference_request_duration_milliseconds_bucket{otel_scope_name="Mlops.Inference",fallback="false",model_name="ews",model_version="2",variant="champion",le="100"} 80 1733100000000
        mlops_inference_request_duration_milliseconds_bucket{otel_scope_name="Mlops.Inference",fallback="false",model_name="ews",model_version="2",variant="champion",le="250"} 95 1733100000000
        mlops_inference_request_duration_milliseconds_bucket{otel_scope_name="Mlops.Inference",fallback="false",model_name="ews",model_version="2",variant="champion",le="500"} 99 1733100000000
        mlops_inference_request_duration_milliseconds_bucket{otel_scope_name="Mlops.Inference",fallback="false",model_name="ews",model_version="2",variant="champion",le="+Inf"} 100 1733100000000
        mlops_inference_request_duration_milliseconds_count{otel_scope_name="Mlops.Inference",fallback="false",model_name="ews",model_version="2",variant="champion"} 100 1733100000000
        mlops_inference_request_duration_milliseconds_bucket{otel_scope_name="Mlops.Inference",fallback="false",model_name="ews",model_version="2",variant="canary",le="100"} 10 1733100000000
        mlops_inference_request_duration_milliseconds_bucket{otel_scope_name="Mlops.Inference",fallback="false",model_name="ews",model_version="2",variant="canary",le="250"} 10 1733100000000
        mlops_inference_request_duration_milliseconds_bucket{otel_scope_name="Mlops.Inference",fallback="false",model_name="ews",model_version="2",variant="canary",le="500"} 10 1733100000000
        mlops_inference_request_duration_milliseconds_bucket{otel_scope_name="Mlops.Inference",fallback="false",model_name="ews",model_version="2",variant="canary",le="+Inf"} 10 1733100000000
        mlops_inference_request_duration_milliseconds_count{otel_scope_name="Mlops.Inference",fallback="false",model_name="ews",model_version="2",variant="canary"} 10 1733100000000
        mlops_inference_request_duration_milliseconds_count{otel_scope_name="Mlops.Inference",fallback="true",model_name="ews",model_version="1",variant="champion"} 7 1733100000000
        # TYPE mlops_inference_request_errors_total counter
        mlops_inference_request_errors_total{otel_scope_name="Mlops.Inference",model_name="ews",model_version="2"} 4 1733100000000
        """;

    [Fact]
    public void Readings_Exposition_OnePerVersionSummedOverVariants()
    {
        var readings = InferenceMetricsClient.Readings("http://pod-a/", PrometheusText.Parse(Exposition), 250);

        // Version 1 answered only as a fallback, and fallback answers are not its own: it has no reading.
        var v2 = Assert.Single(readings);
        Assert.Equal(new SloReading("http://pod-a/", "ews", "2", new SloCounters(110, 4, 105), 250, v2.Buckets), v2);
        // The whole histogram goes with it (finite bounds), for judging each model against its own threshold later.
        Assert.Equal([100.0, 250, 500], v2.Buckets!.Bounds);
        Assert.Equal([90.0, 105, 109], v2.Buckets.Counts);
    }

    [Fact]
    public void Readings_ThresholdBetweenBounds_RoundedUpToTheNextBound()
    {
        var v2 = InferenceMetricsClient.Readings("http://pod-a/", PrometheusText.Parse(Exposition), 180).Single(r => r.ModelVersion == "2");

        // 180 ms lies in (100, 250]: the count at 250 (95 + 10) is what the histogram can say.
        Assert.Equal((250.0, 105.0), (v2.LatencyBoundMs!.Value, v2.Raw.Fast));
    }

    [Fact]
    public void Readings_ThresholdAboveEveryFiniteBound_NoBoundAndNothingSlow()
    {
        var v2 = InferenceMetricsClient.Readings("http://pod-a/", PrometheusText.Parse(Exposition), 1000).Single(r => r.ModelVersion == "2");

        Assert.Null(v2.LatencyBoundMs);
        Assert.Equal(0, v2.Raw.Slow);
    }

    [Fact]
    public async Task HealthCheck_PodUnreadable_DegradedNamingThePodThenHealthyOnceRead()
    {
        var status = new SloScrapeStatus();
        var check = new SloScrapeHealthCheck(status);
        var at = new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

        status.Failed("http://127.0.0.1:58085/", "Connection refused", at);
        status.Failed("http://127.0.0.1:58085/", "Connection refused again", at.AddSeconds(15));
        var failing = await check.CheckHealthAsync(new HealthCheckContext());
        status.Succeeded("http://127.0.0.1:58085/");
        var recovered = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Degraded, failing.Status);
        Assert.Contains("http://127.0.0.1:58085/ unreadable since 12:00:00 UTC: Connection refused again", failing.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, recovered.Status);
    }
}
