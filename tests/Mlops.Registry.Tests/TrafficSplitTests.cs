using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc;
using Mlops.Contracts.Registry;
using Mlops.Registry.Api;
using Mlops.Testing;

namespace Mlops.Registry.Tests;

/// <summary>The traffic split over RabbitMQ (the rollout saga's path) and over HTTP (operators), against the real store and broker.</summary>
public sealed class TrafficSplitTests
{
    [Fact]
    public async Task SetTrafficSplit_OverRabbitMq_PublishesTheSplitAndANewDeploymentWithChallengerAndShadow()
    {
        await using var registry = await RegistryHost.StartAsync();
        await using var observer = await Observer.StartAsync(registry);
        var model = Models.NewName();
        foreach (var version in new[] { "1.0.0", "2.0.0", "3.0.0" })
        {
            await Models.RegisterAsync(registry, model, version, Models.Metrics(0.8));
        }

        Assert.Equal(HttpStatusCode.OK, (await Models.PromoteAsync(registry, model, "1.0.0")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Models.PromoteAsync(registry, model, "2.0.0", ModelAliases.Challenger)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Models.PromoteAsync(registry, model, "3.0.0", ModelAliases.Shadow)).StatusCode);
        var correlation = Guid.NewGuid();

        await observer.SendAsync(new SetTrafficSplit
        {
            ModelName = model, ChallengerPercent = 50, ShadowPercent = 20, RequestedBy = "rollout-saga", Reason = "step 2 of 3", CorrelationId = correlation,
        });
        await Eventually.WaitUntilAsync(() => observer.Messages.Of<DeploymentChanged>(m => m.ModelName == model && m.Routes.Count == 3).Count == 1, "the new split is deployed");
        // Published together but delivered independently: the split event may arrive after the deployment.
        await Eventually.WaitUntilAsync(() => observer.Messages.Of<TrafficSplitChanged>(m => m.ModelName == model).Count == 1, "the split change is published");

        var changed = observer.Messages.Of<TrafficSplitChanged>(m => m.ModelName == model).Single().Message;
        Assert.Equal((50, 20, correlation), (changed.ChallengerPercent, changed.ShadowPercent, changed.CorrelationId));
        var deployments = observer.Messages.Of<DeploymentChanged>(m => m.ModelName == model).Select(m => m.Message).OrderBy(m => m.Revision).ToList();
        Assert.Equal([("champion", 50, 0), ("challenger", 50, 0), ("shadow", 0, 20)], deployments[^1].Routes.Select(r => (r.Alias, r.TrafficPercent, r.MirrorPercent)));
        Assert.True(deployments[^1].Revision > deployments[^2].Revision);
        Assert.Equal((await registry.Registry.GetAsync(model))!.Revision, deployments[^1].Revision);
    }

    [Fact]
    public async Task SetTrafficSplit_InvalidOverRabbitMq_IsAnsweredWithRegistryCommandRejected()
    {
        await using var registry = await RegistryHost.StartAsync();
        await using var observer = await Observer.StartAsync(registry);
        var model = Models.NewName();
        await Models.RegisterAsync(registry, model, "1.0.0", Models.Metrics(0.8));

        await observer.SendAsync(new SetTrafficSplit { ModelName = model, ChallengerPercent = 120, RequestedBy = "rollout-saga", Reason = "" });
        await Eventually.WaitUntilAsync(() => observer.Messages.Of<RegistryCommandRejected>(m => m.ModelName == model).Count == 1, "the rejection is published");

        var rejected = observer.Messages.Of<RegistryCommandRejected>(m => m.ModelName == model).Single().Message;
        Assert.Equal(nameof(SetTrafficSplit), rejected.Command);
        Assert.Equal(["ChallengerPercent: must be between 0 and 100", "Reason: is required"], rejected.Errors.Order());
        Assert.Empty(observer.Messages.Of<TrafficSplitChanged>(m => m.ModelName == model));
    }

    [Fact]
    public async Task PutTraffic_OverHttp_AnswersTheDeploymentAndRefusesBadInputWithProblemDetails()
    {
        await using var registry = await RegistryHost.StartAsync();
        var model = Models.NewName();
        await Models.RegisterAsync(registry, model, "1.0.0", Models.Metrics(0.8));
        await Models.RegisterAsync(registry, model, "2.0.0", Models.Metrics(0.8));
        await Models.PromoteAsync(registry, model, "1.0.0");
        await Models.PromoteAsync(registry, model, "2.0.0", ModelAliases.Challenger);

        using var ok = await registry.Client.PutAsJsonAsync($"/api/registry/models/{model}/traffic", new TrafficSplitRequest(25, null, "ops-alice", "canary step", null));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var answer = (await ok.Content.ReadFromJsonAsync<TrafficSplitResponse>(Json.Options))!;
        Assert.Equal([("champion", "1.0.0", 75), ("challenger", "2.0.0", 25)], answer.Routes.Select(r => (r.Alias, r.Version, r.TrafficPercent)));
        var deployment = await registry.GetAsync<List<TrafficRoute>>($"/api/registry/models/{model}/deployment");
        Assert.Equal(answer.Routes, deployment);

        using var bad = await registry.Client.PutAsJsonAsync($"/api/registry/models/{model}/traffic", new TrafficSplitRequest(null, 150, "ops-alice", "", null));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = (await bad.Content.ReadFromJsonAsync<ValidationProblemDetails>(Json.Options))!;
        Assert.Equal(["challengerPercent"], problem.Errors.Keys);
        using var bad2 = await registry.Client.PutAsJsonAsync($"/api/registry/models/{model}/traffic", new TrafficSplitRequest(10, 150, "ops-alice", "", null));
        var problem2 = (await bad2.Content.ReadFromJsonAsync<ValidationProblemDetails>(Json.Options))!;
        Assert.Equal(["Reason", "ShadowPercent"], problem2.Errors.Keys.Order());

        using var unknown = await registry.Client.PutAsJsonAsync($"/api/registry/models/{Models.NewName()}/traffic", new TrafficSplitRequest(10, 0, "ops-alice", "canary", null));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
