using System.Net;
using System.Text;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Gateway;
using Mlops.Registry.Rollouts;

namespace Mlops.Registry.Tests.Rollouts;

/// <summary>
/// The divergence gate of a rollout's analysis (<see cref="DivergenceMetric"/>) on the answer the gateway gives
/// (<c>GET /api/gateway/shadow/{model}</c>, as the gateway's own tests check it is computed): which pairs count, how
/// they are weighted, and when the measurement is inconclusive instead of a pass.
/// </summary>
public sealed class DivergenceMetricTests
{
    // Pairs per (serving variant, its version, shadow version). Only the champion's requests mirrored to the candidate
    // (version 2) compare the two; the challenger's own requests, and another shadow version, do not.
    const string Report = """
        {
          "modelName": "ews", "decisionThreshold": 0.5, "shadow": { "version": "2", "mirrorPercent": 50 },
          "queued": 900, "dropped": 0, "failed": 0, "uncomparable": 0,
          "pairs": [
            { "primaryVariant": "champion", "primaryVersion": "1", "shadowVersion": "2", "requests": 300, "predictions": 300,
              "agreement": 0.95, "meanAbsoluteDifference": 0.04, "p99AbsoluteDifference": 0.2,
              "primaryLatencyMs": { "mean": 2, "p50": 2, "p99": 5 }, "shadowLatencyMs": { "mean": 2, "p50": 2, "p99": 5 } },
            { "primaryVariant": "champion", "primaryVersion": "0", "shadowVersion": "2", "requests": 100, "predictions": 100,
              "agreement": 0.9, "meanAbsoluteDifference": 0.08, "p99AbsoluteDifference": 0.3,
              "primaryLatencyMs": { "mean": 2, "p50": 2, "p99": 5 }, "shadowLatencyMs": { "mean": 2, "p50": 2, "p99": 5 } },
            { "primaryVariant": "challenger", "primaryVersion": "2", "shadowVersion": "2", "requests": 500, "predictions": 500,
              "agreement": 1, "meanAbsoluteDifference": 0.0, "p99AbsoluteDifference": 0.0,
              "primaryLatencyMs": { "mean": 2, "p50": 2, "p99": 5 }, "shadowLatencyMs": { "mean": 2, "p50": 2, "p99": 5 } },
            { "primaryVariant": "champion", "primaryVersion": "1", "shadowVersion": "3", "requests": 800, "predictions": 800,
              "agreement": 0.5, "meanAbsoluteDifference": 0.5, "p99AbsoluteDifference": 0.9,
              "primaryLatencyMs": { "mean": 2, "p50": 2, "p99": 5 }, "shadowLatencyMs": { "mean": 2, "p50": 2, "p99": 5 } }
          ]
        }
        """;

    [Fact]
    public async Task Measure_ChampionRequestsMirroredToTheCandidate_PredictionWeightedMeanDifference()
    {
        var (metric, requests) = Metric(HttpStatusCode.OK, Report);

        var reading = await metric.MeasureAsync(Context(minRequests: 100), CancellationToken.None);

        // (0.04 × 300 + 0.08 × 100) / 400: the challenger's own pair and the other shadow version are left out.
        Assert.Equal(0.05, reading.Value!.Value, 1e-12);
        Assert.Contains("400 mirrored predictions", reading.Evidence, StringComparison.Ordinal);
        Assert.Equal("/api/gateway/shadow/ews", Assert.Single(requests).AbsolutePath);
    }

    [Fact]
    public async Task Measure_FewerComparedPredictionsThanTheMinimum_IsInconclusiveNamingTheCount()
    {
        var (metric, _) = Metric(HttpStatusCode.OK, Report);

        var reading = await metric.MeasureAsync(Context(minRequests: 1000), CancellationToken.None);

        Assert.Null(reading.Value);
        Assert.Contains("400 compared predictions of 2 against the champion since the gateway started, fewer than 1000", reading.Evidence, StringComparison.Ordinal);
        // Kept for the next analysis all the same: it judges what is compared after this one.
        Assert.Equal(20, reading.Snapshot[DivergenceMetric.SumKey], 1e-9);
        Assert.Equal(400, reading.Snapshot[DivergenceMetric.CountKey]);
    }

    [Fact]
    public async Task Measure_AfterAnEarlierAnalysis_JudgesOnlyThePredictionsComparedSince()
    {
        var (metric, _) = Metric(HttpStatusCode.OK, Report);
        // The last analysis saw 300 pairs whose differences summed to 6 (mean 0.02); now 400 sum to 20: the 100 compared
        // since differ by 0.14 on average, although the mean since the gateway started is 0.05.
        var earlier = new Dictionary<string, double> { [DivergenceMetric.SumKey] = 6, [DivergenceMetric.CountKey] = 300 };

        var reading = await metric.MeasureAsync(new RolloutMetricContext("ews", "2", earlier, 100), CancellationToken.None);

        Assert.Equal(0.14, reading.Value!.Value, 1e-12);
        Assert.Contains("over 100 mirrored predictions since the last analysis", reading.Evidence, StringComparison.Ordinal);
        Assert.Equal(20, reading.Snapshot[DivergenceMetric.SumKey], 1e-9);
        Assert.Equal(400, reading.Snapshot[DivergenceMetric.CountKey]);
    }

    [Fact]
    public async Task Measure_FewerPairsSinceTheLastAnalysisThanTheMinimum_JudgesEveryPairComparedSoFarAndSaysSo()
    {
        var (metric, _) = Metric(HttpStatusCode.OK, Report);
        // At a step giving the candidate all traffic the champion serves nothing to mirror: 5 new pairs, fewer than 100.
        var earlier = new Dictionary<string, double> { [DivergenceMetric.SumKey] = 19.5, [DivergenceMetric.CountKey] = 395 };

        var reading = await metric.MeasureAsync(new RolloutMetricContext("ews", "2", earlier, 100), CancellationToken.None);

        Assert.Equal(0.05, reading.Value!.Value, 1e-12);
        Assert.Contains("over 400 mirrored predictions since the gateway started (only 5 since the last analysis)", reading.Evidence, StringComparison.Ordinal);
        Assert.Equal(400, reading.Snapshot[DivergenceMetric.CountKey]);
    }

    [Fact]
    public async Task Measure_TooFewPairsEvenSinceTheGatewayStarted_IsInconclusive()
    {
        var (metric, _) = Metric(HttpStatusCode.OK, Report);
        var earlier = new Dictionary<string, double> { [DivergenceMetric.SumKey] = 20, [DivergenceMetric.CountKey] = 400 };

        var reading = await metric.MeasureAsync(new RolloutMetricContext("ews", "2", earlier, 1000), CancellationToken.None);

        Assert.Null(reading.Value);
        Assert.Contains("400 compared predictions of 2 against the champion since the gateway started (only 0 since the last analysis), fewer than 1000", reading.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Measure_GatewayRestartedSinceTheLastAnalysis_JudgesWhatItComparedSinceItStarted()
    {
        var (metric, _) = Metric(HttpStatusCode.OK, Report);
        // More pairs at the last analysis than the gateway reports now: its counters started again.
        var beforeRestart = new Dictionary<string, double> { [DivergenceMetric.SumKey] = 90, [DivergenceMetric.CountKey] = 3000 };

        var reading = await metric.MeasureAsync(new RolloutMetricContext("ews", "2", beforeRestart, 100), CancellationToken.None);

        Assert.Equal(0.05, reading.Value!.Value, 1e-12);
        Assert.Contains("over 400 mirrored predictions since the gateway started", reading.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Measure_NoComparisonAtTheGateway_IsInconclusive()
    {
        var (metric, _) = Metric(HttpStatusCode.NotFound, """{"title":"No shadow comparison"}""");

        var reading = await metric.MeasureAsync(Context(minRequests: 1), CancellationToken.None);

        Assert.Null(reading.Value);
        Assert.Contains("has no shadow comparison for ews", reading.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Measure_GatewayUnreachableOrAnsweringGarbage_IsInconclusiveWithTheReason()
    {
        var (unreachable, _) = Metric(null, null);
        var (garbage, _) = Metric(HttpStatusCode.OK, "<html>not json</html>");

        var down = await unreachable.MeasureAsync(Context(minRequests: 1), CancellationToken.None);
        var unreadable = await garbage.MeasureAsync(Context(minRequests: 1), CancellationToken.None);

        Assert.Null(down.Value);
        Assert.Contains("Connection refused", down.Evidence, StringComparison.Ordinal);
        Assert.Null(unreadable.Value);
        Assert.Contains("could not be read", unreadable.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Measure_WithAKey_SendsItAndARefusedKeyIsInconclusiveNamingTheSetting()
    {
        var sent = new List<string?>();
        var (accepted, _) = Metric(HttpStatusCode.OK, Report, "mlk_viewer_secret", sent);
        var (refused, _) = Metric(HttpStatusCode.Unauthorized, """{"title":"API key required"}""", null, sent);

        var reading = await accepted.MeasureAsync(Context(minRequests: 100), CancellationToken.None);
        var unauthorised = await refused.MeasureAsync(Context(minRequests: 100), CancellationToken.None);

        Assert.Equal(["mlk_viewer_secret", null], sent);
        Assert.NotNull(reading.Value);
        Assert.Null(unauthorised.Value);
        Assert.Contains("refused the registry's key (401); set Registry:Rollouts:GatewayApiKey", unauthorised.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Measure_NoGatewayConfigured_IsInconclusiveNamingTheSetting()
    {
        var metric = new DivergenceMetric(new HttpClient(), Options.Create(new RolloutOptions()));

        var reading = await metric.MeasureAsync(Context(minRequests: 1), CancellationToken.None);

        Assert.Null(reading.Value);
        Assert.Contains("Registry:Rollouts:GatewayAddress", reading.Evidence, StringComparison.Ordinal);
    }

    static RolloutMetricContext Context(long minRequests) => new("ews", "2", new Dictionary<string, double>(), minRequests);

    static (DivergenceMetric Metric, List<Uri> Requests) Metric(HttpStatusCode? status, string? body) => Metric(status, body, null, []);

    static (DivergenceMetric Metric, List<Uri> Requests) Metric(HttpStatusCode? status, string? body, string? key, List<string?> keysSent)
    {
        var requests = new List<Uri>();
        var handler = new Answering(request =>
        {
            requests.Add(request.RequestUri!);
            keysSent.Add(request.Headers.TryGetValues(ApiKeys.Header, out var values) ? values.Single() : null);
            return status is not { } code
                ? throw new HttpRequestException("Connection refused (127.0.0.1:9)")
                : new HttpResponseMessage(code) { Content = new StringContent(body!, Encoding.UTF8, "application/json") };
        });
        return (new DivergenceMetric(new HttpClient(handler), Options.Create(new RolloutOptions { GatewayAddress = "http://127.0.0.1:9/", GatewayApiKey = key })), requests);
    }

    sealed class Answering(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromResult(answer(request));
    }
}
