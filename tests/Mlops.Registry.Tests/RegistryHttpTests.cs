using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Registry;
using Mlops.Registry.Application;
using Mlops.Registry.Cards;
using Mlops.Registry.Domain;

namespace Mlops.Registry.Tests;

public sealed class RegistryHttpTests : IAsyncLifetime
{
    RegistryHost _host = null!;

    public async Task InitializeAsync() => _host = await RegistryHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Promotion_TwoConcurrentRequestsAtTheSameRevision_ExactlyOneWinsTheOtherGetsConflict()
    {
        var model = Models.NewName();
        await Models.RegisterAsync(_host, model, "1.0.0", Models.Metrics(0.80));
        await Models.RegisterAsync(_host, model, "1.1.0", Models.Metrics(0.81));
        var revision = (await _host.GetAsync<ModelState>($"/api/registry/models/{model}")).Revision;

        var responses = await Task.WhenAll(
            Models.PromoteAsync(_host, model, "1.0.0", expectedRevision: revision),
            Models.PromoteAsync(_host, model, "1.1.0", expectedRevision: revision));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], responses.Select(r => r.StatusCode).Order());
        var winner = responses.Single(r => r.StatusCode == HttpStatusCode.OK);
        var state = await _host.GetAsync<ModelState>($"/api/registry/models/{model}");
        var winnerVersion = responses[0] == winner ? "1.0.0" : "1.1.0";
        Assert.Equal(winnerVersion, state.VersionOf(ModelAliases.Champion));
        var conflict = await responses.Single(r => r.StatusCode == HttpStatusCode.Conflict).Content.ReadFromJsonAsync<ProblemDetails>(Json.Options);
        Assert.Equal("The model changed concurrently", conflict!.Title);
        Assert.Single(state.Versions, v => v.Value.Stage == ModelStages.Production);
    }

    [Fact]
    public async Task Replay_OfTheStream_RebuildsExactlyTheStateTheInlineProjectionHolds()
    {
        var model = Models.NewName();
        await Models.RegisterAsync(_host, model, "1.0.0", Models.Metrics(0.80));
        await Models.RegisterAsync(_host, model, "1.1.0", Models.Metrics(0.82));
        await Models.SetPolicyAsync(_host, model, new PromotionPolicy { HumanApprovalAboveRelativeChange = 0.01, ChallengerTrafficPercent = 20 });
        Assert.Equal(HttpStatusCode.OK, (await Models.PromoteAsync(_host, model, "1.0.0")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Models.PromoteAsync(_host, model, "1.1.0", ModelAliases.Challenger)).StatusCode);
        var pending = await (await Models.PromoteAsync(_host, model, "1.1.0")).Content.ReadFromJsonAsync<PromotionOutcome>(Json.Options);
        Assert.Equal(PromotionOutcome.PendingApproval, pending!.Status);
        await _host.Client.PostAsJsonAsync($"/api/registry/models/{model}/promotions/{pending.PromotionId}/approve", new Api.DecisionRequest("lead-carol", "reviewed calibration"));
        await _host.Client.PostAsJsonAsync($"/api/registry/models/{model}/rollback", new Api.RollBackRequest(null, "ops-alice", "alert storm"));

        var registry = _host.Registry;
        var events = await registry.HistoryAsync(model);
        var replayed = JsonSerializer.Serialize(ModelState.Replay(model, events), Json.Options);
        var replayedAgain = JsonSerializer.Serialize(ModelState.Replay(model, await registry.HistoryAsync(model)), Json.Options);
        var aggregated = JsonSerializer.Serialize(await registry.GetAtRevisionAsync(model, events[^1].Version), Json.Options);
        var projected = JsonSerializer.Serialize(await registry.GetAsync(model), Json.Options);
        var catalog = (await registry.ListAsync()).Single(m => m.Name == model);

        Assert.Equal(replayed, replayedAgain);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(replayed), JsonNode.Parse(projected)), $"replayed {replayed}\nprojected {projected}");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(replayed), JsonNode.Parse(aggregated)), $"replayed {replayed}\naggregated {aggregated}");
        var state = ModelState.Replay(model, events);
        Assert.Equal("1.0.0", state.VersionOf(ModelAliases.Champion));
        Assert.Equal([new TrafficRoute { Alias = "champion", Version = "1.0.0", ArtifactSha256 = state.Versions["1.0.0"].Registration.ArtifactSha256, TrafficPercent = 100 }], state.Deployment);
        Assert.Equal((state.Revision, "1.0.0", state.UpdatedAt), (catalog.Revision, catalog.Champion, (DateTimeOffset?)catalog.UpdatedAt));
    }

    [Fact]
    public async Task AsOf_PastTime_ReturnsWhichVersionWasChampionThen()
    {
        var model = Models.NewName();
        await Models.RegisterAsync(_host, model, "1.0.0", Models.Metrics(0.80));
        await Models.PromoteAsync(_host, model, "1.0.0");
        await Models.RegisterAsync(_host, model, "1.1.0", Models.Metrics(0.805));
        await Models.PromoteAsync(_host, model, "1.1.0");
        var history = await _host.GetAsync<List<TimelineEntry>>($"/api/registry/models/{model}/history");
        var firstChampionAt = history.First(e => e.Type == "mlops.registry.alias-assigned.v1").At;
        var registeredAt = history[0].At;

        var then = await _host.GetAsync<Api.AliasAsOf>($"/api/registry/models/{model}/aliases/champion?asOf={Uri.EscapeDataString(firstChampionAt.ToString("O"))}");
        var now = await _host.GetAsync<Api.AliasAsOf>($"/api/registry/models/{model}/aliases/champion");
        var beforeChampion = await _host.GetAsync<Api.AliasAsOf>($"/api/registry/models/{model}/aliases/champion?asOf={Uri.EscapeDataString(registeredAt.ToString("O"))}");
        var beforeModel = await _host.Client.GetAsync($"/api/registry/models/{model}?asOf={Uri.EscapeDataString(registeredAt.AddMilliseconds(-1).ToString("O"))}");

        var catalogThen = await _host.GetAsync<List<ModelSummary>>($"/api/registry/models?asOf={Uri.EscapeDataString(firstChampionAt.ToString("O"))}");
        var catalogBefore = await _host.GetAsync<List<ModelSummary>>($"/api/registry/models?asOf={Uri.EscapeDataString(registeredAt.AddMilliseconds(-1).ToString("O"))}");
        var catalogNow = await _host.GetAsync<List<ModelSummary>>("/api/registry/models");

        Assert.Equal("1.0.0", catalogThen.Single(m => m.Name == model).Champion);
        Assert.DoesNotContain(catalogBefore, m => m.Name == model);
        Assert.Equal("1.1.0", catalogNow.Single(m => m.Name == model).Champion);
        Assert.Equal("1.0.0", then.Version);
        Assert.Equal("1.1.0", now.Version);
        Assert.Null(beforeChampion.Version);
        Assert.Equal(HttpStatusCode.NotFound, beforeModel.StatusCode);
        Assert.All(history, e => Assert.False(string.IsNullOrEmpty(e.Actor)));
    }

    [Fact]
    public async Task Promotion_FailingThePolicy_IsRefusedWithEveryFailedCriterionAndRecorded()
    {
        var model = Models.NewName();
        await Models.RegisterAsync(_host, model, "1.0.0", Models.Metrics(0.80));
        await Models.PromoteAsync(_host, model, "1.0.0");
        await Models.SetPolicyAsync(_host, model, new PromotionPolicy { MinImprovementOverChampion = 0.005, MaxP99LatencyMs = 100, RequireLeakageCheck = true, MaxSubgroupGap = 0.05 });
        await Models.RegisterAsync(_host, model, "2.0.0", Models.Metrics(0.801, p99: 180, leakage: false, worstSubgroup: 0.6));

        var response = await Models.PromoteAsync(_host, model, "2.0.0");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>(Json.Options);
        var criteria = problem!["failedCriteria"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        Assert.Equal(4, criteria.Count);
        Assert.Contains(criteria, c => c.StartsWith("auroc 0.801 is below", StringComparison.Ordinal));
        Assert.Contains(criteria, c => c.StartsWith("p99_latency_ms 180", StringComparison.Ordinal));
        Assert.Contains("leakage check did not pass", criteria);
        Assert.Contains(criteria, c => c.StartsWith("subgroup gap of auroc", StringComparison.Ordinal));
        var state = await _host.GetAsync<ModelState>($"/api/registry/models/{model}");
        Assert.Equal("1.0.0", state.VersionOf(ModelAliases.Champion));
        var timeline = await _host.GetAsync<List<JsonObject>>($"/api/registry/models/{model}/versions/2.0.0/history");
        var rejected = timeline.Single(e => e["type"]!.GetValue<string>() == "mlops.registry.promotion-rejected.v1");
        Assert.Equal("policy", rejected["data"]!["rejectedBy"]!.GetValue<string>());
        Assert.Equal(4, rejected["data"]!["failedCriteria"]!.AsArray().Count);
    }

    [Fact]
    public async Task Promotion_BigMetricMove_WaitsForApproval_ThenChampionAndChallengerSplitTraffic()
    {
        var model = Models.NewName();
        await Models.RegisterAsync(_host, model, "1.0.0", Models.Metrics(0.80));
        await Models.PromoteAsync(_host, model, "1.0.0");
        await Models.SetPolicyAsync(_host, model, new PromotionPolicy { HumanApprovalAboveRelativeChange = 0.01, ChallengerTrafficPercent = 10 });
        await Models.RegisterAsync(_host, model, "1.1.0", Models.Metrics(0.84));
        await Models.RegisterAsync(_host, model, "1.2.0", Models.Metrics(0.80));

        var pendingResponse = await Models.PromoteAsync(_host, model, "1.1.0");
        var pending = await pendingResponse.Content.ReadFromJsonAsync<PromotionOutcome>(Json.Options);
        var stillOld = await _host.GetAsync<ModelState>($"/api/registry/models/{model}");
        var approve = await _host.Client.PostAsJsonAsync($"/api/registry/models/{model}/promotions/{pending!.PromotionId}/approve", new Api.DecisionRequest("lead-carol", "checked subgroup results"));
        var challenger = await Models.PromoteAsync(_host, model, "1.2.0", ModelAliases.Challenger);
        var deployment = await _host.GetAsync<List<TrafficRoute>>($"/api/registry/models/{model}/deployment");

        Assert.Equal(HttpStatusCode.Accepted, pendingResponse.StatusCode);
        Assert.Contains("human approval required", pending.ApprovalReason, StringComparison.Ordinal);
        Assert.Equal("1.0.0", stillOld.VersionOf(ModelAliases.Champion));
        Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
        Assert.Equal(HttpStatusCode.OK, challenger.StatusCode);
        Assert.Equal([("champion", "1.1.0", 90), ("challenger", "1.2.0", 10)], deployment.Select(r => (r.Alias, r.Version, r.TrafficPercent)));
        var after = await _host.GetAsync<ModelState>($"/api/registry/models/{model}");
        Assert.Equal(
            [("1.0.0", ModelStages.Staging), ("1.1.0", ModelStages.Production), ("1.2.0", ModelStages.Staging)],
            after.Versions.Select(v => (v.Key, v.Value.Stage)));
        var history = await _host.GetAsync<List<TimelineEntry>>($"/api/registry/models/{model}/versions/1.1.0/history");
        var approved = history.Single(e => e.Type == "mlops.registry.promotion-approved.v1");
        Assert.Equal(("lead-carol", "checked subgroup results"), (approved.Actor, approved.Reason));
    }

    [Fact]
    public async Task RollBack_AfterABadPromotion_RestoresThePreviousChampionAndItsTraffic()
    {
        var model = Models.NewName();
        await Models.RegisterAsync(_host, model, "1.0.0", Models.Metrics(0.80));
        await Models.PromoteAsync(_host, model, "1.0.0");
        await Models.RegisterAsync(_host, model, "1.1.0", Models.Metrics(0.801));
        await Models.PromoteAsync(_host, model, "1.1.0");

        var response = await _host.Client.PostAsJsonAsync($"/api/registry/models/{model}/rollback", new Api.RollBackRequest("champion", "ops-alice", "false alarms doubled"));
        var second = await _host.Client.PostAsJsonAsync($"/api/registry/models/{model}/rollback", new Api.RollBackRequest("champion", "ops-alice", "again"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var state = await _host.GetAsync<ModelState>($"/api/registry/models/{model}");
        Assert.Equal("1.0.0", state.VersionOf(ModelAliases.Champion));
        Assert.Equal("1.0.0", Assert.Single(state.Deployment).Version);
        Assert.Equal(ModelStages.Production, state.Versions["1.0.0"].Stage);
        Assert.Equal(ModelStages.Staging, state.Versions["1.1.0"].Stage);
        // Nothing held the alias before 1.0.0, and the abandoned 1.1.0 is no rollback target.
        Assert.Equal(HttpStatusCode.BadRequest, second.StatusCode);
    }

    [Fact]
    public async Task Register_InvalidBody_Returns400NamingEveryBadField()
    {
        var response = await _host.Client.PostAsJsonAsync($"/api/registry/models/{Models.NewName()}/versions", new { version = "one", artifactSha256 = "xyz" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Json.Options);
        Assert.Equivalent(
            new[] { "Version", "ArtifactSha256", "Signature.Inputs", "Signature.Outputs", "Metrics.Overall", "DatasetVersion", "FeatureSetVersion", "TrainingRunId", "CodeVersion", "RegisteredBy" },
            problem!.Errors.Keys);
    }

    [Fact]
    public async Task Register_ArtifactNeverUploaded_IsRefused()
    {
        var registration = Models.Registration("x", "1.0.0", new string('b', 64), Models.Metrics(0.8));

        var response = await _host.Client.PostAsJsonAsync($"/api/registry/models/{Models.NewName()}/versions", registration);

        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Json.Options);
        Assert.Equal(["ArtifactSha256"], problem!.Errors.Keys);
    }

    [Fact]
    public async Task Artifact_TamperedInStorage_IsRefused()
    {
        var sha = await Models.UploadAsync(_host, "model weights " + Guid.NewGuid());
        var intact = await _host.Client.GetAsync($"/api/registry/artifacts/{sha}");
        Assert.Equal(HttpStatusCode.OK, intact.StatusCode);
        Assert.Equal(sha, Artifacts.ArtifactStore.Hash(await intact.Content.ReadAsByteArrayAsync()));

        await _host.ScalarAsync($"UPDATE \"{_host.Schema}\".artifacts SET content = content || '\\x00'::bytea WHERE sha256 = $1", sha);
        var tampered = await _host.Client.GetAsync($"/api/registry/artifacts/{sha}");

        Assert.Equal(HttpStatusCode.InternalServerError, tampered.StatusCode);
        var problem = await tampered.Content.ReadFromJsonAsync<ProblemDetails>(Json.Options);
        Assert.Equal(Api.RegistryApi.TamperedProblemType, problem!.Type);
    }

    [Fact]
    public async Task ModelCard_IsGeneratedFromTheRegistryAsMarkdownAndJson()
    {
        var model = Models.NewName();
        await Models.RegisterAsync(_host, model, "1.0.0", Models.Metrics(0.80));
        await Models.PromoteAsync(_host, model, "1.0.0");

        var card = await _host.GetAsync<ModelCard>($"/api/registry/models/{model}/versions/1.0.0/card");
        var markdown = await _host.Client.GetStringAsync($"/api/registry/models/{model}/versions/1.0.0/card.md");

        Assert.Equal(ModelStages.Production, card.Stage);
        Assert.Equal(["champion"], card.Aliases);
        Assert.Equal("run-1.0.0", card.Lineage.TrainingRunId);
        Assert.Equal(0.805, card.Metrics.Subgroups["age:18-64"]["auroc"], 6);
        Assert.Contains("# Model card: " + model + " 1.0.0", markdown, StringComparison.Ordinal);
        Assert.Contains("| age:65+ | 0.795 |", markdown, StringComparison.Ordinal);
        Assert.Contains("## Calibration", markdown, StringComparison.Ordinal);
        Assert.Contains("Not validated for paediatric", markdown, StringComparison.Ordinal);
        Assert.Contains("- Training run: `run-1.0.0`", markdown, StringComparison.Ordinal);
        Assert.Contains("mlops.registry.promotion-approved.v1", markdown, StringComparison.Ordinal);
    }
}
