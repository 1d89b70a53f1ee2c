using System.Net.Http.Json;
using Marten;
using Marten.Services;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Registry;
using Mlops.Registry.Application;
using Mlops.Registry.Domain;
using Mlops.Registry.Publishing;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Registry.Tests;

public sealed class RegistryMessagingTests
{
    [Fact]
    public async Task Commands_OverRabbitMq_RegisterAndPromote_AndEventsArePublishedWithTheEventIdAsMessageId()
    {
        await using var registry = await RegistryHost.StartAsync();
        await using var observer = await Observer.StartAsync(registry);
        var model = Models.NewName();
        var sha = await Models.UploadAsync(registry, "artifact of " + model);

        await observer.SendAsync(Models.Registration(model, "1.0.0", sha, Models.Metrics(0.8)));
        await Eventually.WaitUntilAsync(() => observer.Messages.Of<ModelVersionRegistered>(m => m.ModelName == model).Count == 1, "the registration is published");
        await observer.SendAsync(new RequestPromotion { ModelName = model, Version = "1.0.0", Alias = "champion", RequestedBy = "training-saga", Reason = "first model" });
        await Eventually.WaitUntilAsync(() => observer.Messages.Of<DeploymentChanged>(m => m.ModelName == model).Count == 1, "the deployment change is published");

        var deployment = observer.Messages.Of<DeploymentChanged>(m => m.ModelName == model).Single().Message;
        Assert.Equal([("champion", "1.0.0", sha, 100)], deployment.Routes.Select(r => (r.Alias, r.Version, r.ArtifactSha256, r.TrafficPercent)));
        var events = await registry.Registry.HistoryAsync(model);
        Assert.Equal(events[0].EventId, observer.Messages.Of<ModelVersionRegistered>(m => m.ModelName == model).Single().MessageId);
        Assert.Equal(events.Single(e => e.Data is DeploymentChanged).EventId, observer.Messages.Of<DeploymentChanged>(m => m.ModelName == model).Single().MessageId);
        Assert.Equal(events[^1].Version, deployment.Revision);
    }

    [Fact]
    public async Task Commands_ApprovePromotionAndRollBackOverRabbitMq_MoveTheChampionAndItsTraffic()
    {
        await using var registry = await RegistryHost.StartAsync();
        await using var observer = await Observer.StartAsync(registry);
        var model = Models.NewName();
        await Models.RegisterAsync(registry, model, "1.0.0", Models.Metrics(0.80));
        await Models.PromoteAsync(registry, model, "1.0.0");
        await Models.SetPolicyAsync(registry, model, new PromotionPolicy { HumanApprovalAboveRelativeChange = 0.01 });
        await Models.RegisterAsync(registry, model, "2.0.0", Models.Metrics(0.86));
        var pending = await (await Models.PromoteAsync(registry, model, "2.0.0")).Content.ReadFromJsonAsync<PromotionOutcome>(Json.Options);

        await observer.SendAsync(new ApprovePromotion { ModelName = model, PromotionId = pending!.PromotionId, ApprovedBy = "lead-carol", Reason = "reviewed" });
        await Eventually.WaitUntilAsync(() => observer.Messages.Of<DeploymentChanged>(m => m.ModelName == model).Any(m => m.Message.Routes[0].Version == "2.0.0"), "the approved version serves");
        await observer.SendAsync(new RollBack { ModelName = model, RequestedBy = "ops-alice", Reason = "alert storm" });
        await Eventually.WaitUntilAsync(() => observer.Messages.Of<DeploymentChanged>(m => m.ModelName == model).Count == 3, "the rollback's deployment change is published");

        var approved = observer.Messages.Of<PromotionApproved>(m => m.ModelName == model && m.Version == "2.0.0").Single().Message;
        Assert.Equal(("lead-carol", "reviewed"), (approved.ApprovedBy, approved.Reason));
        var deployments = observer.Messages.Of<DeploymentChanged>(m => m.ModelName == model).Select(m => m.Message).OrderBy(m => m.Revision).ToList();
        Assert.Equal(["1.0.0", "2.0.0", "1.0.0"], deployments.Select(d => Assert.Single(d.Routes).Version));
    }

    [Fact]
    public async Task Command_Invalid_IsAnsweredWithRegistryCommandRejectedListingTheProblems()
    {
        await using var registry = await RegistryHost.StartAsync();
        await using var observer = await Observer.StartAsync(registry);
        var model = Models.NewName();

        await observer.SendAsync(Models.Registration(model, "1.0", new string('c', 64), Models.Metrics(0.8)));
        await Eventually.WaitUntilAsync(() => observer.Messages.Of<RegistryCommandRejected>(m => m.ModelName == model).Count == 1, "the rejection is published");

        var rejected = observer.Messages.Of<RegistryCommandRejected>(m => m.ModelName == model).Single().Message;
        Assert.Equal(nameof(RegisterModelVersion), rejected.Command);
        Assert.Contains(rejected.Errors, e => e.StartsWith("Version:", StringComparison.Ordinal));
        Assert.Contains(rejected.Errors, e => e.StartsWith("ArtifactSha256:", StringComparison.Ordinal));
        Assert.Equal("run-1.0", rejected.TrainingRunId);
    }

    [Fact]
    public async Task RegisterModelVersion_SameVersionAndArtifactFromAnotherRun_IsRefusedNamingTheRunThatRegisteredIt()
    {
        await using var registry = await RegistryHost.StartAsync();
        await using var observer = await Observer.StartAsync(registry);
        var model = Models.NewName();
        var sha = await Models.UploadAsync(registry, "artifact of " + model);
        var first = Models.Registration(model, "1.0.0", sha, Models.Metrics(0.8));
        await observer.SendAsync(first);
        await Eventually.WaitUntilAsync(() => observer.Messages.Of<ModelVersionRegistered>(m => m.ModelName == model).Count == 1, "the registration is published");

        await observer.SendAsync(first with { TrainingRunId = "run-other" });
        await Eventually.WaitUntilAsync(() => observer.Messages.Of<RegistryCommandRejected>(m => m.ModelName == model).Count == 1, "the clash is refused");

        var rejected = observer.Messages.Of<RegistryCommandRejected>(m => m.ModelName == model).Single().Message;
        Assert.Equal("run-other", rejected.TrainingRunId);
        Assert.Equal(["Version: version 1.0.0 is already registered (by training run run-1.0.0); versions are immutable"], rejected.Errors);
        Assert.Single(observer.Messages.Of<ModelVersionRegistered>(m => m.ModelName == model));
    }

    [Fact]
    public async Task Publishing_RegistryStoppedBetweenCommitAndPublish_PublishesOnceAfterRestart()
    {
        await using var virtualHost = await RabbitMqVirtualHost.CreateAsync("registry-tests");
        await using var observer = await Observer.StartAsync(virtualHost);
        var model = Models.NewName();
        string schema;
        // The first registry commits the registration but never publishes (no daemon runs, as if it crashed after the commit).
        await using (var crashed = await RegistryHost.StartAsync(virtualHost: virtualHost, publish: false, keepSchema: true))
        {
            schema = crashed.Schema;
            await Models.RegisterAsync(crashed, model, "1.0.0", Models.Metrics(0.8));
        }

        await using var restarted = await RegistryHost.StartAsync(schema, virtualHost);
        await Eventually.WaitUntilAsync(() => observer.Messages.Of<ModelVersionRegistered>(m => m.ModelName == model).Count == 1, "the registration is published after restart");
        // Published after the registration: once it arrived, a duplicate of the registration would have arrived too.
        await Models.PromoteAsync(restarted, model, "1.0.0");
        await Eventually.WaitUntilAsync(() => observer.Messages.Of<DeploymentChanged>(m => m.ModelName == model).Count == 1, "the later deployment change is published");

        Assert.Single(observer.Messages.Of<ModelVersionRegistered>(m => m.ModelName == model));
        // The subscription's checkpoint reached the last event: nothing is left to publish.
        await Eventually.WaitUntilAsync(async () => await restarted.ScalarAsync(
            $"SELECT coalesce(max(last_seq_id), 0) FROM \"{schema}\".mt_event_progression WHERE name LIKE $1", RegistryEventPublisher.SubscriptionName + "%")
            == await restarted.ScalarAsync($"SELECT max(seq_id) FROM \"{schema}\".mt_events"), "the checkpoint reaches the last event");
    }

    [Fact]
    public async Task Publishing_AnEarlierAppendStillUncommittedWhenALaterOneCommits_IsNotSkipped()
    {
        await using var registry = await RegistryHost.StartAsync();
        await using var observer = await Observer.StartAsync(registry);
        var held = Models.NewName();
        var later = Models.NewName();
        var sha = await Models.UploadAsync(registry, "artifact of " + held);
        var events = ModelDecisions.Register(null, Models.Registration(held, "1.0.0", sha, Models.Metrics(0.8)), artifactStored: true);

        // The earlier append draws its sequence numbers inside a transaction the test keeps open.
        await using var connection = await registry.App.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var session = registry.App.Services.GetRequiredService<IDocumentStore>().LightweightSession(SessionOptions.ForTransaction(transaction)))
        {
            session.Events.StartStream(ModelRegistry.StreamOf(held), events.ToArray());
            await session.SaveChangesAsync();
        }

        // A later append commits with higher sequence numbers; the daemon gets time to (wrongly) move past the gap.
        await Models.RegisterAsync(registry, later, "1.0.0", Models.Metrics(0.8));
        await Task.Delay(TimeSpan.FromSeconds(5));
        await transaction.CommitAsync();

        await Eventually.WaitUntilAsync(() => observer.Messages.Of<ModelVersionRegistered>(m => m.ModelName == held).Count == 1, "the earlier append is published");
        await Eventually.WaitUntilAsync(() => observer.Messages.Of<ModelVersionRegistered>(m => m.ModelName == later).Count == 1, "the later append is published");
        Assert.Equal((await registry.Registry.HistoryAsync(held))[0].EventId, observer.Messages.Of<ModelVersionRegistered>(m => m.ModelName == held).Single().MessageId);
    }
}
