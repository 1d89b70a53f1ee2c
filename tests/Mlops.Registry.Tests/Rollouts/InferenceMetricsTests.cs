using Mlops.Registry.Rollouts;
using Mlops.ServiceDefaults.Metrics;

namespace Mlops.Registry.Tests.Rollouts;

/// <summary>Reading a version's counters from the OpenTelemetry Prometheus exporter's text.</summary>
public sealed class InferenceMetricsTests
{
    const string Exposition = """
        # TYPE mlops_inference_request_duration_milliseconds histogram
        mlops_inference_request_duration_milliseconds_bucket{otel_scope_name="Mlops.Inference",fallback="false",model_name="ews",model_version="1.1.0",le="5"} 50 1733100000000
        mlops_inference_request_duration_milliseconds_bucket{otel_scope_name="Mlops.Inference",fallback="false",model_name="ews",model_version="1.1.0",le="10"} 90 1733100000000
        mlops_inference_request_duration_milliseconds_bucket{otel_scope_name="Mlops.Inference",fallback="false",model_name="ews",model_version="1.1.0",le="25"} 100 1733100000000
        mlops_inference_request_duration_milliseconds_bucket{otel_scope_name="Mlops.Inference",fallback="false",model_name="ews",model_version="1.1.0",le="+Inf"} 100 1733100000000
        mlops_inference_request_duration_milliseconds_count{otel_scope_name="Mlops.Inference",fallback="false",model_name="ews",model_version="1.1.0"} 100 1733100000000
        mlops_inference_request_duration_milliseconds_count{otel_scope_name="Mlops.Inference",fallback="false",model_name="ews",model_version="1.0.0"} 7000 1733100000000
        # TYPE mlops_inference_request_errors_total counter
        mlops_inference_request_errors_total{otel_scope_name="Mlops.Inference",model_name="ews",model_version="1.1.0"} 4 1733100000000
        """;

    [Fact]
    public void From_Exposition_ReadsOnlyTheVersion()
    {
        var counters = VersionCounters.From(PrometheusText.Parse(Exposition), "ews", "1.1.0");

        Assert.Equal(100, counters.Successes);
        Assert.Equal(4, counters.Errors);
        Assert.Equal(4, counters.Buckets.Count);
    }

    [Fact]
    public void Quantile_P99_InterpolatesInsideTheBucket()
    {
        var counters = VersionCounters.From(PrometheusText.Parse(Exposition), "ews", "1.1.0");

        // Rank 99 of 100 lies in (10, 25] holding ranks 91–100: 10 + 15 × (99 − 90) / 10.
        Assert.Equal(23.5, counters.Quantile(0.99)!.Value, 1e-9);
    }

    [Fact]
    public void Since_Baseline_CountsOnlyTheInterval()
    {
        var counters = VersionCounters.From(PrometheusText.Parse(Exposition), "ews", "1.1.0");
        var baseline = new Dictionary<string, double> { ["inference.successes"] = 60, ["inference.errors"] = 4, ["inference.bucket.5"] = 50, ["inference.bucket.10"] = 55, ["inference.bucket.25"] = 60, ["inference.bucket.+Inf"] = 60 };

        var interval = counters.Since(baseline);

        Assert.Equal(40, interval.Successes);
        Assert.Equal(0, interval.Errors);
        // Interval buckets 0/35/40/40: rank 39.6 of 40 lies in (10, 25] holding ranks 36–40: 10 + 15 × (39.6 − 35) / 5.
        Assert.Equal(23.8, interval.Quantile(0.99)!.Value, 1e-9);
    }

    [Fact]
    public void Since_CounterWentDown_PodRestartedSoEverythingCounts()
    {
        var counters = VersionCounters.From(PrometheusText.Parse(Exposition), "ews", "1.1.0");

        var interval = counters.Since(new Dictionary<string, double> { ["inference.successes"] = 5000 });

        Assert.Equal(100, interval.Successes);
    }
}
