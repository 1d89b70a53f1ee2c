using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Mlops.Contracts.Registry;
using Mlops.Testing;

namespace Mlops.Inference.Tests;

/// <summary>
/// One pod serving champion, challenger and shadow of the default model at once, as the registry deploys them over the
/// real RabbitMQ: the variant chosen by <c>X-Model-Variant</c> or by the entity's assignment, named in every answer.
/// </summary>
public sealed class VariantServingTests : IAsyncLifetime
{
    RabbitMqVirtualHost _virtualHost = null!;
    InferenceAppFactory _factory = null!;
    HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _virtualHost = await RabbitMqVirtualHost.CreateAsync("inference-variants");
        _factory = VariantDeployment.Pod(_virtualHost);
        _client = await _factory.ReadyClientAsync();
        await VariantDeployment.DeployAsync(_factory, _client, revision: 4, VariantDeployment.Routes(challengerPercent: 30));
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _virtualHost.DisposeAsync();
    }

    [Theory]
    [InlineData(ModelAliases.Champion, "1")]
    [InlineData(ModelAliases.Challenger, "2")]
    [InlineData(ModelAliases.Shadow, "3")]
    public async Task Predict_VariantHeader_AnswersWithThatVariantAndNamesItInHeadersAndBody(string variant, string version)
    {
        var vitals = Models.Vitals(122, 25, 91, 38.6, 94);

        using var response = await SendAsync(HttpMethod.Post, "/api/inference/predict", new { entityId = "patient-1", features = vitals }, variant);

        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((version, variant), (Header(response, "X-Model-Version"), Header(response, "X-Model-Variant")));
        Assert.Equal((version, variant, "deterioration"), (body.GetProperty("modelVersion").GetString(), body.GetProperty("variant").GetString(), body.GetProperty("modelName").GetString()));
        Assert.Equal(Models.Expected(VariantDeployment.ModelOf(version), vitals).Mean, body.GetProperty("probability").GetDouble(), 5);
    }

    [Fact]
    public async Task Infer_OpenInferenceProtocolWithVariantHeader_NamesTheVariantInParametersAndHeaders()
    {
        var row = Models.Features.Select((_, i) => Models.Baseline[i]).ToArray();

        using var response = await SendAsync(HttpMethod.Post, $"/v2/models/{VariantDeployment.Model}/infer",
            new { inputs = new[] { new { name = "features", shape = new[] { 1, row.Length }, datatype = "FP32", data = row } } }, ModelAliases.Challenger);

        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("2", body.GetProperty("model_version").GetString());
        Assert.Equal(ModelAliases.Challenger, body.GetProperty("parameters").GetProperty("variant").GetString());
        Assert.Equal(("2", ModelAliases.Challenger), (Header(response, "X-Model-Version"), Header(response, "X-Model-Variant")));
    }

    [Fact]
    public async Task Predict_EntityWithoutHeader_IsAnsweredByTheVariantTheSharedAssignmentGivesIt()
    {
        var routes = VariantDeployment.Routes(challengerPercent: 30);
        var seen = new HashSet<string>();
        foreach (var entity in Enumerable.Range(0, 40).Select(i => $"patient-{i}"))
        {
            var body = await (await _client.PostAsJsonAsync("/api/inference/predict", new { entityId = entity, features = Models.Vitals(90, 18, 95, 37.2, 118) }))
                .Content.ReadFromJsonAsync<JsonElement>();
            var expected = VariantAssignment.Assign(VariantDeployment.Model, entity, routes)!;
            Assert.Equal((expected.Alias, expected.Version), (body.GetProperty("variant").GetString(), body.GetProperty("modelVersion").GetString()));
            seen.Add(expected.Alias);
        }

        Assert.Equal([ModelAliases.Challenger, ModelAliases.Champion], seen.Order());
        var anonymous = await _client.PredictAsync(Models.Vitals(90, 18, 95, 37.2, 118));
        Assert.Equal(ModelAliases.Champion, anonymous.GetProperty("variant").GetString());
    }

    [Fact]
    public async Task Predict_UnknownOrMalformedVariant_IsAProblemNamingIt()
    {
        var request = new { features = Models.Vitals(90, 18, 95, 37.2, 118) };

        using var unknown = await SendAsync(HttpMethod.Post, "/api/inference/predict", request, "canary");
        using var malformed = await SendAsync(HttpMethod.Post, "/api/inference/predict", request, "Champion!");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var problem = (await unknown.Content.ReadFromJsonAsync<ProblemDetails>())!;
        Assert.Equal("Variant not served by this pod", problem.Title);
        Assert.Contains("'canary'", problem.Detail, StringComparison.Ordinal);
        Assert.Contains("loaded: champion, challenger, shadow", problem.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("X-Model-Variant", await malformed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_ServingVariantThisPodJustDropped_IsAnsweredByTheVariantItsRoutesGive()
    {
        // The gateway applies the same DeploymentChanged on its own and may name the challenger a moment longer.
        await VariantDeployment.DeployAsync(_factory, _client, revision: 5, VariantDeployment.Routes(challengerPercent: 0, shadow: false).Where(r => r.TrafficPercent > 0).ToArray());

        using var answer = await SendAsync(HttpMethod.Post, "/api/inference/predict", new { features = Models.Vitals(90, 18, 95, 37.2, 118) }, ModelAliases.Challenger);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(ModelAliases.Champion, (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("variant").GetString());
    }

    [Fact]
    public async Task DeploymentChanged_ShadowRemoved_IsUnloadedAndAnsweredAsNotServed()
    {
        await VariantDeployment.DeployAsync(_factory, _client, revision: 5, VariantDeployment.Routes(challengerPercent: 50, shadow: false));

        using var shadow = await SendAsync(HttpMethod.Post, "/api/inference/predict", new { features = Models.Vitals(90, 18, 95, 37.2, 118) }, ModelAliases.Shadow);
        Assert.Equal(HttpStatusCode.NotFound, shadow.StatusCode);
        var status = await _client.GetFromJsonAsync<JsonElement>($"/api/inference/models/{VariantDeployment.Model}");
        Assert.Equal([ModelAliases.Champion, ModelAliases.Challenger], status.GetProperty("variants").EnumerateArray().Select(v => v.GetProperty("variant").GetString()));
    }

    Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object body, string variant)
    {
        var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Model-Variant", variant);
        return _client.SendAsync(request);
    }

    static string? Header(HttpResponseMessage response, string name) => response.Headers.TryGetValues(name, out var values) ? values.Single() : null;
}
