using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Inference.Scoring;

namespace Mlops.Inference.Tests;

public sealed class FallbackTests : IAsyncLifetime
{
    readonly InferenceAppFactory _factory = new(withModel: false);
    HttpClient _client = null!;

    public async Task InitializeAsync() => _client = await _factory.ReadyClientAsync(expectModel: false);

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task PredictInline_NoModel_RuleBasedScoreAnswersFlaggedAsFallback()
    {
        // NEWS2 bands: HR 118 → 2, RR 26 → 3, SpO2 90 → 3, T 38.9 → 1, SBP 95 → 2: 11 points.
        var body = await _client.PredictAsync(Models.Vitals(118, 26, 90, 38.9, 95));

        Assert.True(body.GetProperty("fallback").GetBoolean());
        Assert.Equal(FallbackScorer.ModelName, body.GetProperty("modelName").GetString());
        Assert.Equal(1 / (1 + Math.Exp(-(11 - 5))), body.GetProperty("probability").GetDouble(), 9);
    }

    [Fact]
    public async Task PredictInline_NoModelNormalVitals_LowScore()
    {
        var body = await _client.PredictAsync(Models.Vitals(72, 14, 98, 36.8, 125));

        Assert.Equal(1 / (1 + Math.Exp(5)), body.GetProperty("probability").GetDouble(), 9);
    }

    // Asserted on the model's own entry: the broker and database checks in the same report are not this test's subject.
    [Fact]
    public async Task Readiness_NoModel_ModelCheckDegradedNotUnhealthy()
    {
        using var response = await _client.GetAsync("/health/ready");

        var model = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks").GetProperty("model");
        Assert.Equal("Degraded", model.GetProperty("status").GetString());
        Assert.Contains("fallback", model.GetProperty("description").GetString());
    }
}
