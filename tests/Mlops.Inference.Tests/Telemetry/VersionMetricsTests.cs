using System.Text.RegularExpressions;

namespace Mlops.Inference.Tests.Telemetry;

/// <summary>
/// The per-version series a rollout analysis reads from <c>/metrics</c> (the registry's error-rate and p99 providers
/// select by these names and labels).
/// </summary>
public sealed class VersionMetricsTests : IAsyncLifetime
{
    readonly InferenceAppFactory _factory = new();
    HttpClient _client = null!;

    public async Task InitializeAsync() => _client = await _factory.ReadyClientAsync();

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Metrics_AfterAPrediction_LatencyHistogramCarriesModelNameAndVersion()
    {
        await _client.PredictAsync(Models.Vitals(118, 26, 90, 38.9, 92));

        var text = await _client.GetStringAsync("/metrics");

        Assert.Matches(new Regex("""mlops_inference_request_duration_milliseconds_bucket\{[^}]*model_name="deterioration"[^}]*model_version="1"[^}]*le="""), text);
        Assert.Matches(new Regex("""mlops_inference_request_duration_milliseconds_count\{[^}]*model_version="1"[^}]*\} [1-9]"""), text);
    }
}
