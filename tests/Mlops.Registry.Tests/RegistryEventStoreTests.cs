using System.Text.Json;
using System.Text.Json.Nodes;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Registry;
using Mlops.Registry.Application;
using Mlops.Registry.Artifacts;
using Mlops.Registry.Domain;

namespace Mlops.Registry.Tests;

/// <summary>The registry's history on Marten: optimistic concurrency, as-of loads, stored names and metadata.</summary>
public sealed class RegistryEventStoreTests : IAsyncLifetime
{
    RegistryHost _host = null!;

    public async Task InitializeAsync() => _host = await RegistryHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    ModelRegistry Replica() => new(
        _host.App.Services.GetRequiredService<IDocumentStore>(), _host.App.Services.GetRequiredService<ArtifactStore>(), new ModelStreamLocks());

    [Fact]
    public async Task Decisions_TwelveReplicasWritingAtTheSameRevision_ExactlyOneWinsAndOnlyItsEventsAreStored()
    {
        var model = Models.NewName();
        await Models.RegisterAsync(_host, model, "1.0.0", Models.Metrics(0.80));
        var before = (await _host.Registry.GetAsync(model))!.Revision;
        // A registry with locks of its own per writer: replicas do not share the in-process turn-taking, so only
        // Marten's version check can stop the losers.
        var replicas = Enumerable.Range(0, 12).Select(_ => Replica()).ToList();

        var attempts = replicas.Select((replica, i) => Task.Run(async () =>
        {
            try
            {
                await replica.RequestPromotionAsync(new RequestPromotion
                {
                    // A different alias per writer, so every decision is valid on any state and only the revision can refuse it.
                    ModelName = model, Version = "1.0.0", Alias = "canary-" + i, RequestedBy = "writer-" + i, Reason = "race", ExpectedRevision = before,
                });
                return true;
            }
            catch (ConcurrencyConflictException)
            {
                return false;
            }
        })).ToArray();
        var outcomes = await Task.WhenAll(attempts);

        Assert.Single(outcomes, won => won);
        var history = await _host.Registry.HistoryAsync(model);
        Assert.Single(history, e => e.Data is PromotionRequested);
        Assert.Single(history, e => e.Data is AliasAssigned);
        Assert.Equal(Enumerable.Range(1, history.Count).Select(v => (long)v), history.Select(e => e.Version));
        Assert.Equal(history[^1].Version, (await _host.Registry.GetAsync(model))!.Revision);
    }

    [Fact]
    public async Task Decisions_TwelveWritersInOneProcess_TakeTurnsAndAllAreStored()
    {
        var model = Models.NewName();
        await Models.RegisterAsync(_host, model, "1.0.0", Models.Metrics(0.80));
        var before = (await _host.Registry.GetAsync(model))!.Revision;

        // What the API, the traffic-split consumer and the rollout history do during a rollout: decisions on the latest
        // state, not on a revision the caller read. In one process none of them may lose to another.
        await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() => _host.Registry.RequestPromotionAsync(new RequestPromotion
        {
            ModelName = model, Version = "1.0.0", Alias = "canary-" + i, RequestedBy = "writer-" + i, Reason = "turns",
        }))));

        var history = await _host.Registry.HistoryAsync(model);
        Assert.Equal(12, history.Count(e => e.Data is PromotionRequested));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => "canary-" + i).Order(), history.Select(e => e.Data).OfType<AliasAssigned>().Select(a => a.Alias).Order());
        Assert.Equal(Enumerable.Range(1, history.Count).Select(v => (long)v), history.Select(e => e.Version));
        Assert.True(history.Count > before + 12);
    }

    [Fact]
    public async Task Append_AtAStaleRevision_IsRefusedAndWritesNothing()
    {
        var model = Models.NewName();
        await Models.RegisterAsync(_host, model, "1.0.0", Models.Metrics(0.80));
        await Models.PromoteAsync(_host, model, "1.0.0");
        var current = (await _host.Registry.GetAsync(model))!.Revision;

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => _host.Registry.RequestPromotionAsync(new RequestPromotion
        {
            ModelName = model, Version = "1.0.0", Alias = ModelAliases.Challenger, RequestedBy = "ops", Reason = "stale", ExpectedRevision = 1,
        }));

        Assert.Equal((1L, current), (conflict.ExpectedVersion, conflict.ActualVersion));
        Assert.Equal(current, (await _host.Registry.HistoryAsync(model)).Count);
    }

    [Fact]
    public async Task AsOf_EveryRevisionAndEveryAppendTime_EqualsTheReplayOfThatPrefix()
    {
        var model = Models.NewName();
        await Models.RegisterAsync(_host, model, "1.0.0", Models.Metrics(0.80));
        await Models.PromoteAsync(_host, model, "1.0.0");
        await Models.RegisterAsync(_host, model, "1.1.0", Models.Metrics(0.805));
        await Models.PromoteAsync(_host, model, "1.1.0");
        var history = await _host.Registry.HistoryAsync(model);

        foreach (var e in history)
        {
            var byRevision = await _host.Registry.GetAtRevisionAsync(model, e.Version);
            var byTime = await _host.Registry.GetAsync(model, e.RecordedAt);

            AssertSameState(ModelState.Replay(model, history.Take((int)e.Version)), byRevision);
            AssertSameState(ModelState.Replay(model, history.Where(h => h.RecordedAt <= e.RecordedAt)), byTime);
        }

        Assert.Null(await _host.Registry.GetAsync(model, history[0].RecordedAt.AddTicks(-10)));
        Assert.Null(await _host.Registry.GetAtRevisionAsync(model, history.Count + 1));
        Assert.True(history.Zip(history.Skip(1)).All(p => p.First.Position < p.Second.Position && p.First.RecordedAt <= p.Second.RecordedAt));
    }

    [Fact]
    public async Task History_StoresContractNamesAndWhoAndWhy_NotClrNames()
    {
        var model = Models.NewName();
        await Models.RegisterAsync(_host, model, "1.0.0", Models.Metrics(0.80));
        await Models.PromoteAsync(_host, model, "1.0.0");

        var history = await _host.Registry.HistoryAsync(model);
        var storedTypes = await _host.ScalarAsync(
            $"SELECT count(*) FROM \"{_host.Schema}\".mt_events WHERE stream_id = $1 AND type NOT LIKE 'mlops.registry.%'", ModelRegistry.StreamOf(model));

        Assert.Equal(0, storedTypes);
        Assert.Equal("mlops.registry.model-version-registered.v1", history[0].EventType);
        Assert.IsType<ModelVersionRegistered>(history[0].Data);
        Assert.All(history, e => Assert.Equal(RegistryEventTypes.NameOf(e.Data.GetType()), e.EventType));
        Assert.Equal(("training", "registered by training run run-1.0.0"), (history[0].Metadata.Actor, history[0].Metadata.Reason));
        Assert.Equal(("ops-alice", "weekly retrain"), (history[^1].Metadata.Actor, history[^1].Metadata.Reason));
    }

    static void AssertSameState(ModelState expected, ModelState? actual)
    {
        var e = JsonSerializer.Serialize(expected, Json.Options);
        var a = JsonSerializer.Serialize(actual, Json.Options);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(e), JsonNode.Parse(a)), $"expected {e}\nactual {a}");
    }
}
