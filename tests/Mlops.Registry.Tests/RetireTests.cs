using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc;
using Mlops.Contracts.Registry;
using Mlops.Registry.Api;
using Mlops.Registry.Application;
using Mlops.Registry.Cards;
using Mlops.Registry.Domain;
using Mlops.Testing;

namespace Mlops.Registry.Tests;

/// <summary>
/// <c>POST /api/registry/models/{name}/retire</c> against the real store and broker: the model leaves service (every
/// pod serves and streams every deployed model, so one left deployed slows them all) and its versions stay.
/// </summary>
public sealed class RetireTests
{
    [Fact]
    public async Task Retire_ServingModel_PublishesAnEmptyDeploymentAndLeavesTheDeploymentsList()
    {
        await using var registry = await RegistryHost.StartAsync();
        await using var observer = await Observer.StartAsync(registry);
        var model = Models.NewName();
        var other = Models.NewName();
        foreach (var (version, auroc) in new[] { ("1.0.0", 0.80), ("2.0.0", 0.80), ("3.0.0", 0.80), ("4.0.0", 0.90) })
        {
            await Models.RegisterAsync(registry, model, version, Models.Metrics(auroc));
        }

        await Models.RegisterAsync(registry, other, "1.0.0", Models.Metrics(0.8));
        await Models.PromoteAsync(registry, other, "1.0.0");
        await Models.PromoteAsync(registry, model, "1.0.0");
        await Models.PromoteAsync(registry, model, "2.0.0", ModelAliases.Challenger);
        await Models.PromoteAsync(registry, model, "3.0.0", ModelAliases.Shadow);
        await registry.Client.PutAsJsonAsync($"/api/registry/models/{model}/traffic", new TrafficSplitRequest(20, 50, "ops-alice", "mirror half", null));
        await Models.SetPolicyAsync(registry, model, new PromotionPolicy { HumanApprovalAboveRelativeChange = 0.01 });
        var pending = await (await Models.PromoteAsync(registry, model, "4.0.0")).Content.ReadFromJsonAsync<PromotionOutcome>(Json.Options);
        Assert.Equal(PromotionOutcome.PendingApproval, pending!.Status);
        Assert.Equal(3, (await registry.GetAsync<ModelState>($"/api/registry/models/{model}")).Deployment.Count);

        var response = await registry.Client.PostAsJsonAsync($"/api/registry/models/{model}/retire", new DecisionRequest("ops-alice", "replaced by another model"));
        var again = await registry.Client.PostAsJsonAsync($"/api/registry/models/{model}/retire", new DecisionRequest("ops-alice", "retried"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var revision = (await response.Content.ReadFromJsonAsync<RevisionResponse>(Json.Options))!.Revision;
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(revision, (await again.Content.ReadFromJsonAsync<RevisionResponse>(Json.Options))!.Revision);
        var state = await registry.GetAsync<ModelState>($"/api/registry/models/{model}");
        Assert.Equal(revision, state.Revision);
        Assert.Empty(state.Aliases);
        Assert.Empty(state.Deployment);
        Assert.Empty(state.PendingPromotions);
        Assert.DoesNotContain(state.Versions.Values, v => v.Stage == ModelStages.Production);
        Assert.Equal(["1.0.0", "2.0.0", "3.0.0", "4.0.0"], state.Versions.Keys);

        var deployments = await registry.GetAsync<List<CurrentDeployment>>("/api/registry/deployments");
        Assert.DoesNotContain(deployments, d => d.ModelName == model);
        Assert.Contains(deployments, d => d.ModelName == other);

        // Inference pods and gateways follow DeploymentChanged: the empty one is what makes them drop the model.
        await Eventually.WaitUntilAsync(() => observer.Messages.Of<DeploymentChanged>(m => m.ModelName == model && m.Routes.Count == 0).Count == 1,
            $"an empty DeploymentChanged of {model} is published");
        Assert.Equal(revision, observer.Messages.Of<DeploymentChanged>(m => m.ModelName == model && m.Routes.Count == 0).Single().Message.Revision);

        // Nothing holds an alias any more, so the versions can be archived; the pending promotion cannot come back.
        var archived = await registry.Client.PostAsJsonAsync($"/api/registry/models/{model}/versions/1.0.0/archive", new DecisionRequest("ops-alice", "retired"));
        Assert.Equal(HttpStatusCode.OK, archived.StatusCode);
        var approve = await registry.Client.PostAsJsonAsync($"/api/registry/models/{model}/promotions/{pending.PromotionId}/approve", new DecisionRequest("lead-carol", "late"));
        Assert.Equal(HttpStatusCode.BadRequest, approve.StatusCode);
        var history = await registry.GetAsync<List<TimelineEntry>>($"/api/registry/models/{model}/history");
        Assert.Contains(history, e => e.Type == "mlops.registry.alias-assigned.v1" && e.Actor == "ops-alice" && e.Reason == "replaced by another model");
    }

    [Fact]
    public async Task Retire_MissingActorAndReason_Returns400NamingEachAndUnknownModel404()
    {
        await using var registry = await RegistryHost.StartAsync(publish: false);
        var model = Models.NewName();
        await Models.RegisterAsync(registry, model, "1.0.0", Models.Metrics(0.8));
        await Models.PromoteAsync(registry, model, "1.0.0");

        var bad = await registry.Client.PostAsJsonAsync($"/api/registry/models/{model}/retire", new DecisionRequest(" ", null));
        var unknown = await registry.Client.PostAsJsonAsync($"/api/registry/models/{Models.NewName()}/retire", new DecisionRequest("ops-alice", "gone"));

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadFromJsonAsync<ValidationProblemDetails>(Json.Options);
        Assert.Equal(["by", "reason"], problem!.Errors.Keys.Order());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("1.0.0", (await registry.GetAsync<ModelState>($"/api/registry/models/{model}")).VersionOf(ModelAliases.Champion));
    }
}
