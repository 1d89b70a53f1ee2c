using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Mlops.Contracts.Registry;
using Mlops.Gateway.Security;
using Mlops.Testing;
using static Mlops.Gateway.Tests.Routes;

namespace Mlops.Gateway.Tests.Routing;

/// <summary>The gateway puts inference requests on variants and forwards them with <c>X-Model-Variant</c>.</summary>
public sealed class VariantRoutingTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    readonly string _run = PlatformInfrastructure.UniqueName("e");

    [Fact]
    public async Task Predict_EntityInBody_ForwardedWithItsStickyVariantAndTheSameBody()
    {
        var entities = Enumerable.Range(0, 200).Select(i => $"{_run}-{i}").ToList();
        foreach (var entity in entities)
        {
            var body = $$$"""{"entityId":"{{{entity}}}","features":{"heart_rate":80}}""";
            using var response = await fixture.Client.PostAsync("/api/inference/predict", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var received = Single(r => r.Body.Contains(entity + "\"", StringComparison.Ordinal));
            Assert.Equal(body, received.Body);
            Assert.Equal(VariantAssignment.Assign("deterioration", entity, Canary(20))!.Alias, received.Variant);
            Assert.Equal(received.Variant, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("variant").GetString());
        }

        Assert.Contains(entities, e => VariantAssignment.Assign("deterioration", e, Canary(20))!.Alias == ModelAliases.Challenger);
        Assert.Contains(entities, e => VariantAssignment.Assign("deterioration", e, Canary(20))!.Alias == ModelAliases.Champion);
    }

    [Fact]
    public async Task Predict_EntityInPathHeaderOrOipParameters_DecidesTheVariant()
    {
        var challenger = Entities(ModelAliases.Challenger, "deterioration", Canary(20)).First();
        await PostAsync($"/api/inference/models/deterioration/entities/{challenger}/predict", """{"features":{}}""");
        Assert.Equal(ModelAliases.Challenger, Single(r => r.Path.Contains(challenger, StringComparison.Ordinal)).Variant);

        var byHeader = Entities(ModelAliases.Challenger, "deterioration", Canary(20)).Skip(1).First();
        await PostAsync("/api/inference/models/deterioration/predict", """{"features":{}}""", ("X-Entity-Id", byHeader));
        Assert.Equal(ModelAliases.Challenger, Single(r => r.EntityHeader == byHeader).Variant);

        var byOip = Entities(ModelAliases.Challenger, "deterioration", Canary(20)).Skip(2).First();
        await PostAsync("/v2/models/deterioration/infer", $$"""{"parameters":{"entity_id":"{{byOip}}"},"inputs":[{"name":"features","shape":[1,1],"datatype":"FP32","data":[1]}]}""");
        Assert.Equal(ModelAliases.Challenger, Single(r => r.Body.Contains(byOip, StringComparison.Ordinal)).Variant);
    }

    [Fact]
    public async Task Predict_VariantWithItsOwnCluster_ReachesThatPodOnly()
    {
        foreach (var variant in new[] { ModelAliases.Challenger, ModelAliases.Champion })
        {
            var entity = Entities(variant, "sepsis", Canary(50)).First();
            await PostAsync("/api/inference/models/sepsis/predict", $$"""{"entityId":"{{entity}}"}""");
            var pod = variant == ModelAliases.Challenger ? fixture.ChallengerPod : fixture.Inference;
            var other = variant == ModelAliases.Challenger ? fixture.Inference : fixture.ChallengerPod;
            Assert.Equal(variant, Assert.Single(pod.Received, r => r.Body.Contains(entity, StringComparison.Ordinal)).Variant);
            Assert.DoesNotContain(other.Received, r => r.Body.Contains(entity, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Predict_ClientVariantHeader_OverridesTheEntitysVariant()
    {
        var champion = Entities(ModelAliases.Champion, "deterioration", Canary(20)).First();
        await PostAsync("/api/inference/predict", $$"""{"entityId":"{{champion}}"}""", ("X-Model-Variant", ModelAliases.Challenger));
        Assert.Equal(ModelAliases.Challenger, Single(r => r.Body.Contains(champion, StringComparison.Ordinal)).Variant);
    }

    [Fact]
    public async Task Predict_VariantHeaderWithPredictOnlyKey_Is403AndNotForwarded()
    {
        // A client allowed to predict must not pick its variant: that would bypass the split an experiment or rollout relies on.
        using var admin = fixture.Gateway.CreateClient();
        using var created = await admin.PostAsJsonAsync(ApiKeysApi.Path, new { name = $"{_run} predict only", roles = new[] { Roles.Predict } });
        created.EnsureSuccessStatusCode();
        using var client = fixture.Gateway.CreateClient();
        client.DefaultRequestHeaders.Remove(ApiKeyAuthenticationHandler.Header);
        client.DefaultRequestHeaders.Add(ApiKeyAuthenticationHandler.Header, (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString());
        var champion = Entities(ModelAliases.Champion, "deterioration", Canary(20)).First();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/inference/predict") { Content = new StringContent($$"""{"entityId":"{{champion}}"}""", Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Model-Variant", ModelAliases.Challenger);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Role required", problem.GetProperty("title").GetString());
        Assert.Contains("X-Model-Variant", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains($"'{Roles.Operate}'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(All(), r => r.Body.Contains(champion, StringComparison.Ordinal));

        // The same key without the header predicts: the header alone was refused, and the entity keeps its own variant.
        using var plain = await client.PostAsync("/api/inference/predict", new StringContent($$"""{"entityId":"{{champion}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal(ModelAliases.Champion, Single(r => r.Body.Contains(champion, StringComparison.Ordinal)).Variant);
    }

    [Fact]
    public async Task Predict_ClientVariantHeaderNamingNoRoute_Is400NamingTheHeader()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/inference/predict") { Content = new StringContent($$"""{"entityId":"{{_run}}"}""", Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Model-Variant", "blue");
        using var response = await fixture.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("X-Model-Variant", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("'champion'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(All(), r => r.Body.Contains(_run, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Predict_ModelWithoutDeployment_ForwardedWithoutVariant()
    {
        await PostAsync("/api/inference/models/undeployed/predict", $$"""{"entityId":"{{_run}}"}""");
        Assert.Null(Single(r => r.Body.Contains(_run, StringComparison.Ordinal)).Variant);
    }

    [Fact]
    public async Task Predict_NoEntity_GoesToChampion()
    {
        await PostAsync("/api/inference/predict", $$$"""{"features":{"marker":"{{{_run}}}"}}""");
        Assert.Equal(ModelAliases.Champion, Single(r => r.Body.Contains(_run, StringComparison.Ordinal)).Variant);
    }

    [Fact]
    public async Task Predict_SingleRouteModel_ChampionWithoutReadingTheBody()
    {
        await PostAsync("/api/inference/models/single/predict", $$"""{"entityId":"{{_run}}"}""");
        Assert.Equal(ModelAliases.Champion, Single(r => r.Body.Contains(_run, StringComparison.Ordinal)).Variant);
    }

    [Fact]
    public async Task Predict_BodyOverTheBufferLimit_Is413()
    {
        var body = $$"""{"entityId":"{{_run}}","padding":"{{new string('x', 1_100_000)}}"}""";
        using var response = await fixture.Client.PostAsync("/api/inference/predict", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("Gateway:Variants:MaxBodyBytes", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    IEnumerable<string> Entities(string variant, string model, TrafficRoute[] routes) =>
        Enumerable.Range(0, 1000).Select(i => $"{_run}-{i}").Where(e => VariantAssignment.Assign(model, e, routes)!.Alias == variant);

    async Task PostAsync(string path, string body, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        using var response = await fixture.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    IEnumerable<ReceivedRequest> All() => fixture.Inference.Received.Concat(fixture.ChallengerPod.Received);

    ReceivedRequest Single(Func<ReceivedRequest, bool> match) => Assert.Single(All(), r => match(r));
}
