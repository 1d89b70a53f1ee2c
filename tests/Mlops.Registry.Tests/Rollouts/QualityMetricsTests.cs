using System.Net;
using System.Text;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Registry;
using Mlops.Registry.Rollouts;

namespace Mlops.Registry.Tests.Rollouts;

/// <summary>
/// The quality gates of a rollout's analysis (<see cref="AurocDropMetric"/>, <see cref="DriftShareMetric"/>) on the
/// answer monitoring gives (<c>GET /api/monitoring/models/{model}/variants?from=</c>, as monitoring's own test checks
/// it is computed): what is measured, and when the measurement is inconclusive instead of a pass.
/// </summary>
public sealed class QualityMetricsTests
{
    static readonly DateTimeOffset Started = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);

    const string Variants = """
        [
          { "modelVersion": "1", "variant": "champion", "predictions": 900, "labeled": 400, "positives": 120, "auroc": 0.84, "brier": 0.12, "drift": null },
          { "modelVersion": "2", "variant": "challenger", "predictions": 300, "labeled": 150, "positives": 45, "auroc": 0.79, "brier": 0.14,
            "drift": { "windowId": 41, "kind": "count", "windowStart": "2026-12-02T10:05:00+00:00", "windowEnd": "2026-12-02T10:20:00+00:00",
                       "evaluatedFeatures": 8, "driftedFeatures": 2, "driftedShare": 0.25, "datasetDrift": false } },
          { "modelVersion": "2", "variant": "shadow", "predictions": 50, "labeled": 0, "positives": 0, "auroc": null, "brier": null,
            "drift": { "windowId": 45, "kind": "count", "windowStart": "2026-12-02T10:20:00+00:00", "windowEnd": "2026-12-02T10:30:00+00:00",
                       "evaluatedFeatures": 8, "driftedFeatures": 8, "driftedShare": 1.0, "datasetDrift": true } }
        ]
        """;

    [Fact]
    public async Task AurocDrop_BothSidesLabelled_IsChampionMinusCandidateSinceTheRolloutStarted()
    {
        var (source, requests) = Source(Variants);

        var reading = await new AurocDropMetric(source).MeasureAsync(Context(minLabels: 100), CancellationToken.None);

        Assert.Equal(0.05, reading.Value!.Value, 1e-12);
        Assert.Contains("challenger 2: 150 labelled", reading.Evidence, StringComparison.Ordinal);
        var request = Assert.Single(requests);
        Assert.Equal("/api/monitoring/models/ews/variants", request.AbsolutePath);
        Assert.Equal(Started, DateTimeOffset.Parse(Uri.UnescapeDataString(request.Query["?from=".Length..]), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task QualityGates_OneAnalysis_ReadMonitoringOnce()
    {
        var (source, requests) = Source(Variants);

        var auroc = await new AurocDropMetric(source).MeasureAsync(Context(minLabels: 100), CancellationToken.None);
        var drift = await new DriftShareMetric(source).MeasureAsync(Context(minLabels: 100), CancellationToken.None);

        Assert.NotNull(auroc.Value);
        Assert.NotNull(drift.Value);
        Assert.Single(requests);
    }

    [Fact]
    public async Task AurocDrop_CandidateWithTooFewLabels_IsInconclusiveNamingTheCount()
    {
        var (source, _) = Source(Variants);

        var reading = await new AurocDropMetric(source).MeasureAsync(Context(minLabels: 151), CancellationToken.None);

        Assert.Null(reading.Value);
        Assert.Contains("150 labelled", reading.Evidence, StringComparison.Ordinal);
        Assert.Contains("fewer than 151", reading.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AurocDrop_OnlyOneOutcomeAmongTheChampionsLabels_IsInconclusive()
    {
        var (source, _) = Source(Variants.Replace("\"auroc\": 0.84", "\"auroc\": null", StringComparison.Ordinal));

        var reading = await new AurocDropMetric(source).MeasureAsync(Context(minLabels: 10), CancellationToken.None);

        Assert.Null(reading.Value);
        Assert.Contains("champion 1", reading.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DriftShare_CandidateWindow_IsItsDriftedShareNotTheShadows()
    {
        var (source, _) = Source(Variants);

        var reading = await new DriftShareMetric(source).MeasureAsync(Context(minLabels: 10), CancellationToken.None);

        Assert.Equal(0.25, reading.Value);
        Assert.Contains("2 of 8 features drifted in window 41", reading.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DriftShare_NoWindowOfTheCandidate_IsInconclusive()
    {
        var (source, _) = Source("""[ { "modelVersion": "1", "variant": "champion", "labeled": 5, "positives": 1, "auroc": 0.7, "drift": null } ]""");

        var reading = await new DriftShareMetric(source).MeasureAsync(Context(minLabels: 10), CancellationToken.None);

        Assert.Null(reading.Value);
        Assert.Contains("no drift window of the candidate 2", reading.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DriftShare_NoWindowOfTheCandidateYet_EvidenceNamesTheModelsWindowSizeAndWhatTheCandidateMade()
    {
        var (source, _) = Source("""
            [ { "modelVersion": "1", "variant": "champion", "predictions": 400, "labeled": 5, "positives": 1, "auroc": 0.7, "drift": null,
                "driftWindows": { "windowSize": 200, "windowDuration": "00:15:00", "minWindowSamples": 30, "datasetDriftShare": 0.5 } },
              { "modelVersion": "2", "variant": "challenger", "predictions": 57, "labeled": 0, "positives": 0, "auroc": null, "drift": null,
                "driftWindows": { "windowSize": 200, "windowDuration": "00:15:00", "minWindowSamples": 30, "datasetDriftShare": 0.5 } } ]
            """);

        var reading = await new DriftShareMetric(source).MeasureAsync(Context(minLabels: 10), CancellationToken.None);

        Assert.Null(reading.Value);
        Assert.Contains("no drift window of the candidate 2", reading.Evidence, StringComparison.Ordinal);
        Assert.Contains("a count window every 200 predictions of a version and variant and a time window every 00:15:00 for ews", reading.Evidence, StringComparison.Ordinal);
        Assert.Contains("Monitoring:Drift:Models:ews", reading.Evidence, StringComparison.Ordinal);
        Assert.Contains("challenger 57 predictions since", reading.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quality_MonitoringUnreachableOrNotConfigured_IsInconclusiveWithTheReason()
    {
        var (unreachable, _) = Source(null);
        var unconfigured = new MonitoringQualitySource(new HttpClient(), Options.Create(new RolloutOptions()));

        var down = await new AurocDropMetric(unreachable).MeasureAsync(Context(minLabels: 10), CancellationToken.None);
        var none = await new DriftShareMetric(unconfigured).MeasureAsync(Context(minLabels: 10), CancellationToken.None);

        Assert.Null(down.Value);
        Assert.Contains("could not be read", down.Evidence, StringComparison.Ordinal);
        Assert.Null(none.Value);
        Assert.Contains("Registry:Rollouts:MonitoringAddress", none.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void Thresholds_QualityLimits_AreJudgedLikeTheOthers()
    {
        var thresholds = new RolloutThresholds { MaxAurocDrop = 0.02, MaxDriftShare = 0.5 };

        Assert.Equal(0.02, new AurocDropMetric(Source(Variants).Source).ThresholdOf(thresholds));
        Assert.Equal(0.5, new DriftShareMetric(Source(Variants).Source).ThresholdOf(thresholds));
        Assert.Empty(RolloutDecisions.Validate([10, 100], TimeSpan.FromMinutes(1), thresholds, 0, 1));
        Assert.Equal(RolloutVerdicts.Failed, RolloutDecisions.Judge(0.05, 0.02));
    }

    [Theory]
    [InlineData(-0.1, null, 30, "thresholds.maxAurocDrop")]
    [InlineData(null, 1.5, 30, "thresholds.maxDriftShare")]
    [InlineData(0.02, null, 0, "thresholds.minLabels")]
    public void Validate_QualityLimitOutOfRange_NamesIt(double? drop, double? share, long minLabels, string field)
    {
        var errors = RolloutDecisions.Validate([10, 100], TimeSpan.FromMinutes(1), new RolloutThresholds { MaxAurocDrop = drop, MaxDriftShare = share, MinLabels = minLabels }, 0, 1);

        Assert.Contains(field, errors.Keys);
    }

    static RolloutMetricContext Context(long minLabels) =>
        new("ews", "2", new Dictionary<string, double>(), MinRequests: 1) { Since = Started, MinLabels = minLabels };

    /// <summary>A source over a canned monitoring answer (null: the monitoring address refuses connections).</summary>
    static (MonitoringQualitySource Source, List<Uri> Requests) Source(string? body)
    {
        var requests = new List<Uri>();
        var handler = new Answering(request =>
        {
            requests.Add(request.RequestUri!);
            return body is null
                ? throw new HttpRequestException("Connection refused (127.0.0.1:9)")
                : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        });
        var options = Options.Create(new RolloutOptions { MonitoringAddress = "http://127.0.0.1:9/" });
        return (new MonitoringQualitySource(new HttpClient(handler), options), requests);
    }

    sealed class Answering(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromResult(answer(request));
    }
}
