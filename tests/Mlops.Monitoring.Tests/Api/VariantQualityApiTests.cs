using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Features;
using Mlops.Contracts.Inference;
using Mlops.Contracts.Registry;
using Mlops.Kafka.Producing;
using Mlops.Monitoring.Tests.Performance;
using Mlops.Testing;

namespace Mlops.Monitoring.Tests.Api;

/// <summary>
/// The side-by-side view a rollout's analysis reads (<c>GET /api/monitoring/models/{model}/variants?from=</c>), on real
/// brokers with the shipped configuration: the champion and a challenger of a model of its own, their predictions since
/// a moment and their delayed labels; quality per version and variant over the whole period, as scikit-learn computes it.
/// </summary>
public sealed class VariantQualityApiTests(MonitoringAppFactory factory) : IClassFixture<MonitoringAppFactory>
{
    [Fact]
    public async Task Variants_LabelledPredictionsOfChampionAndChallenger_ScoredPerVariantAsSklearn()
    {
        var model = PlatformInfrastructure.UniqueName("quality");
        var random = new Random(17);
        var since = DateTimeOffset.UtcNow.AddHours(-2);
        // Predictions before the period must not count.
        var before = PerformanceMonitoringTests.Hour(random, since.AddHours(-2), 50, signal: 3).Select(r => (Row: r, Version: "1", Variant: ModelAliases.Champion));
        var champion = PerformanceMonitoringTests.Hour(random, since.AddMinutes(1), 300, signal: 2.5).Select(r => (Row: r, Version: "1", Variant: ModelAliases.Champion)).ToList();
        var challenger = PerformanceMonitoringTests.Hour(random, since.AddMinutes(1), 200, signal: 0.5).Select(r => (Row: r, Version: "2", Variant: ModelAliases.Challenger)).ToList();
        var all = before.Concat(champion).Concat(challenger).ToList();
        var producer = factory.Upstream.Services.GetRequiredService<IEventProducer>();
        await Task.WhenAll(all.Select(p => producer.ProduceAsync(factory.PredictionsTopic, p.Row.Entity, new PredictionMade
        {
            EntityId = p.Row.Entity,
            ModelName = model,
            ModelVersion = p.Version,
            Probability = p.Row.Probability,
            Uncertainty = 0,
            Fallback = false,
            FeatureEventTime = p.Row.PredictedAt,
            FeatureSetVersion = "vitals-test",
            PredictedAt = p.Row.PredictedAt,
            PredictionId = p.Row.PredictionId,
            Variant = p.Variant,
        })));
        await Task.WhenAll(all.Where(p => p.Row.Labelled).Select(p => producer.ProduceAsync(factory.LabelsTopic, p.Row.Entity, new LabelRecorded
        {
            LabelId = $"label-{p.Row.PredictionId}",
            EntityId = p.Row.Entity,
            Name = "outcome",
            Value = p.Row.Outcome,
            EventTime = p.Row.PredictedAt.AddMinutes(5),
            PredictionId = p.Row.PredictionId,
        })));

        var http = factory.CreateClient();
        var expectedLabelled = champion.Count(p => p.Row.Labelled) + challenger.Count(p => p.Row.Labelled);
        var variants = new List<JsonElement>();
        await Eventually.WaitUntilAsync(async () =>
        {
            variants = (await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{model}/variants?from={Uri.EscapeDataString(since.ToString("O"))}&threshold=0.3"))
                .EnumerateArray().ToList();
            return variants.Sum(v => v.GetProperty("labeled").GetInt32()) == expectedLabelled;
        }, "every labelled prediction of the period was joined", TimeSpan.FromMinutes(2));

        var reference = ReferenceSklearn.Compute([Scored(champion), Scored(challenger)]);
        foreach (var (side, expected, version, variant) in new[] { (champion, reference[0], "1", ModelAliases.Champion), (challenger, reference[1], "2", ModelAliases.Challenger) })
        {
            var actual = variants.Single(v => v.GetProperty("modelVersion").GetString() == version && v.GetProperty("variant").GetString() == variant);
            Assert.Equal(side.Count, actual.GetProperty("predictions").GetInt32());
            Assert.Equal(side.Count(p => p.Row.Labelled), actual.GetProperty("labeled").GetInt32());
            Assert.Equal(side.Count(p => p.Row.Labelled && p.Row.Outcome == 1), actual.GetProperty("positives").GetInt32());
            Assert.Equal(expected.GetProperty("auroc").GetDouble(), actual.GetProperty("auroc").GetDouble(), 1e-9);
            Assert.Equal(expected.GetProperty("brier").GetDouble(), actual.GetProperty("brier").GetDouble(), 1e-9);
            Assert.Equal(side.Count(p => p.Row.Labelled && (p.Row.Probability >= 0.3 ? 1 : 0) == p.Row.Outcome), actual.GetProperty("correct").GetInt32());
            // No drift window was judged for this model (no profile): the analysis reads that as inconclusive, not as no drift.
            Assert.Equal(JsonValueKind.Null, actual.GetProperty("drift").ValueKind);
        }

        Assert.Equal(2, variants.Count);

        // Counts only (what an A/B experiment asks for): the same counts, summed by the database, without AUROC or Brier.
        var counts = (await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/models/{model}/variants?from={Uri.EscapeDataString(since.ToString("O"))}&threshold=0.3&metrics=counts"))
            .EnumerateArray().ToList();
        Assert.Equal(variants.Count, counts.Count);
        foreach (var (full, counted) in variants.Zip(counts))
        {
            foreach (var property in new[] { "modelVersion", "variant", "predictions", "labeled", "positives", "correct" })
            {
                Assert.Equal(full.GetProperty(property).ToString(), counted.GetProperty(property).ToString());
            }

            Assert.Equal(JsonValueKind.Null, counted.GetProperty("auroc").ValueKind);
            Assert.Equal(JsonValueKind.Null, counted.GetProperty("brier").ValueKind);
        }
    }

    [Fact]
    public async Task Variants_UnknownMetricsChoice_IsAProblemNamingMetrics()
    {
        var from = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"));
        using var response = await factory.CreateClient().GetAsync($"/api/monitoring/models/deterioration/variants?from={from}&metrics=everything");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("metrics", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("?from=2099-01-01T00:00:00Z")]
    [InlineData("?from=2000-01-01T00:00:00Z")]
    public async Task Variants_MissingOrOutOfRangeFrom_IsAProblemNamingFrom(string query)
    {
        using var response = await factory.CreateClient().GetAsync($"/api/monitoring/models/deterioration/variants{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("from", out _), problem.ToString());
    }

    [Fact]
    public async Task Variants_ThresholdOutsideZeroOne_IsAProblemNamingThreshold()
    {
        var from = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"));
        using var response = await factory.CreateClient().GetAsync($"/api/monitoring/models/deterioration/variants?from={from}&threshold=1.5");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("threshold", out _), problem.ToString());
    }

    static (double[] Scores, int[] Outcomes) Scored(List<(PerformanceMonitoringTests.Row Row, string Version, string Variant)> side) =>
        (side.Where(p => p.Row.Labelled).Select(p => p.Row.Probability).ToArray(), side.Where(p => p.Row.Labelled).Select(p => p.Row.Outcome).ToArray());
}
