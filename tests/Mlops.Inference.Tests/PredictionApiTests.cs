using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Mlops.Inference.Tests;

public sealed class PredictionApiTests : IAsyncLifetime
{
    readonly InferenceAppFactory _factory = new(settings: Models.FolderSettings);
    HttpClient _client = null!;

    public async Task InitializeAsync() => _client = await _factory.ReadyClientAsync();

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task PredictInline_WithModel_ReturnsEnsembleMeanStdAndVersion()
    {
        var vitals = Models.Vitals(118, 26, 90, 38.9, 92);

        var body = await _client.PredictAsync(vitals);

        var (mean, std) = Models.Expected(Models.V1, vitals);
        Assert.Equal(mean, body.GetProperty("probability").GetDouble(), 5);
        Assert.Equal(std, body.GetProperty("uncertainty").GetDouble(), 5);
        Assert.True(std > 0);
        Assert.Equal("deterioration", body.GetProperty("modelName").GetString());
        Assert.Equal("1", body.GetProperty("modelVersion").GetString());
        Assert.False(body.GetProperty("fallback").GetBoolean());
        Assert.True(body.GetProperty("latencyMs").GetDouble() > 0);
    }

    [Fact]
    public async Task PredictInline_ContributionsAsked_ExactForLinearEnsemble()
    {
        var vitals = Models.Vitals(118, 26, 90, 38.9, 92);

        using var response = await _client.PostAsJsonAsync("/api/inference/predict?contributions=true", new { features = vitals });

        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var contributions = body.GetProperty("contributions");
        foreach (var (feature, expected) in Models.ExpectedContributions(Models.V1, vitals))
        {
            Assert.Equal(expected, contributions.GetProperty(feature).GetDouble(), 3);
        }

        Assert.True(contributions.GetProperty("respiratory_rate").GetDouble() > 0, "fast breathing raises the risk");
        Assert.True(contributions.GetProperty("spo2").GetDouble() > 0, "low saturation raises the risk");
    }

    [Fact]
    public async Task PredictInline_ContributionsNotAsked_OmitsThem()
    {
        var body = await _client.PredictAsync(Models.Vitals(80, 16, 96, 37, 120));

        Assert.Equal(JsonValueKind.Null, body.GetProperty("contributions").ValueKind);
    }

    [Fact]
    public async Task PredictInline_MissingAndNonFiniteFeatures_Returns422NamingThem()
    {
        var features = new Dictionary<string, double?> { ["heart_rate"] = 80, ["respiratory_rate"] = null, ["spo2"] = 1e300, ["temperature"] = 37 };

        using var response = await _client.PostAsJsonAsync("/api/inference/predict", new { features });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["respiratory_rate", "systolic_bp"], problem.GetProperty("missing").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["spo2"], problem.GetProperty("nonFinite").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task PredictInline_NaNLiteral_Returns422NamingTheFeature()
    {
        using var content = new StringContent(
            """{"features":{"heart_rate":"NaN","respiratory_rate":16,"spo2":96,"temperature":37,"systolic_bp":120}}""",
            System.Text.Encoding.UTF8, "application/json");

        using var response = await _client.PostAsync("/api/inference/predict", content);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["heart_rate"], problem.GetProperty("nonFinite").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task PredictInline_NoFeatures_Returns400NamingTheField()
    {
        using var response = await _client.PostAsJsonAsync("/api/inference/predict", new { entityId = "p1" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("features", out _));
    }

    [Fact]
    public async Task PredictEntity_NotInCache_Returns404()
    {
        using var response = await _client.PostAsync("/api/inference/entities/never-seen/predict", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task PredictBatch_ManyItems_AnswersEachInOrderWithItsOwnError()
    {
        var items = Enumerable.Range(0, 40)
            .Select(i => new { entityId = $"p{i}", features = (object)Models.Vitals(60 + i * 2, 12 + (i % 10), 99 - (i % 8), 36.5 + (i % 5) * 0.5, 130 - i) })
            .Append(new { entityId = "broken", features = (object)new Dictionary<string, double?> { ["heart_rate"] = 80 } })
            .ToList();

        using var response = await _client.PostAsJsonAsync("/api/inference/predict/batch", new { items });

        response.EnsureSuccessStatusCode();
        var answers = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(41, answers.Count);
        for (var i = 0; i < 40; i++)
        {
            var prediction = answers[i].GetProperty("prediction");
            Assert.Equal($"p{i}", prediction.GetProperty("entityId").GetString());
            var (mean, _) = Models.Expected(Models.V1, Models.Vitals(60 + i * 2, 12 + (i % 10), 99 - (i % 8), 36.5 + (i % 5) * 0.5, 130 - i));
            Assert.Equal(mean, prediction.GetProperty("probability").GetDouble(), 5);
        }

        Assert.Contains("respiratory_rate", answers[40].GetProperty("error").GetString());
    }

    [Fact]
    public async Task Readiness_WarmModel_ModelCheckHealthy()
    {
        using var response = await _client.GetAsync("/health/ready");

        var model = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks").GetProperty("model");
        Assert.Equal("Healthy", model.GetProperty("status").GetString());
        Assert.Contains("deterioration 1", model.GetProperty("description").GetString());
    }

    [Fact]
    public async Task LoadModel_ArtifactHashDiffers_Refused422AndCurrentModelKeepsServing()
    {
        var request = new { name = "deterioration", version = "2", path = Models.FileOf(Models.V2), sha256 = Models.Sha256Of(Models.V1), features = Models.Features };

        using var response = await _client.PostAsJsonAsync("/api/inference/model", request);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("SHA-256", await response.Content.ReadAsStringAsync());
        var body = await _client.PredictAsync(Models.Vitals(80, 16, 96, 37, 120));
        Assert.Equal("1", body.GetProperty("modelVersion").GetString());
    }
}
