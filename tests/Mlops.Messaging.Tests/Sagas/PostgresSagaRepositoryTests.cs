using System.Text.Json;
using MassTransit;
using MassTransit.Saga;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Messaging.Sagas;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Messaging.Tests.Sagas;

public sealed class PostgresSagaRepositoryTests
{
    [Fact]
    public async Task SagaState_PersistedByOneHost_IsReloadedAndContinuedByTheNext()
    {
        var runId = NewId.NextGuid();
        var queue = PlatformInfrastructure.UniqueName("pipeline-run");
        await using var db = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("tests"));

        using (var first = await MessagingHosts.StartSagaHostAsync(queue))
        {
            var bus = first.Services.GetRequiredService<IBus>();
            await bus.Publish(new PipelineRunSubmitted { RunId = runId, RequestedBy = "alice" });
            await Eventually.WaitUntilAsync(async () => await LoadAsync(db, runId) is not null, "the saga instance was created");
            foreach (var step in new[] { "validate", "build-training-set", "train" })
            {
                await bus.Publish(new PipelineStepCompleted { RunId = runId, Step = step });
            }

            await Eventually.WaitUntilAsync(async () => (await LoadAsync(db, runId))?.State.Steps.Count == 3, "three steps were recorded");
            await first.StopAsync();
        }

        var persisted = await LoadAsync(db, runId);
        Assert.NotNull(persisted);
        Assert.Equal("Running", persisted.CurrentState);
        Assert.Equal(4, persisted.Version);

        using (var second = await MessagingHosts.StartSagaHostAsync(queue))
        {
            var bus = second.Services.GetRequiredService<IBus>();
            await bus.Publish(new PipelineStepCompleted { RunId = runId, Step = "evaluate" });
            await Eventually.WaitUntilAsync(async () => (await LoadAsync(db, runId))?.State.Steps.Count == 4, "the fourth step was recorded");
            await bus.Publish(new PipelineRunFinished { RunId = runId });
            await Eventually.WaitUntilAsync(async () => (await LoadAsync(db, runId))?.CurrentState == "Completed", "the run completed");
            await second.StopAsync();
        }

        var final = await LoadAsync(db, runId);
        Assert.NotNull(final);
        Assert.Equal("alice", final.State.RequestedBy);
        Assert.Equal(["build-training-set", "evaluate", "train", "validate"], final.State.Steps.Order());
        Assert.Equal("evaluate", final.State.Steps[^1]);
        Assert.Equal(6, final.Version);
    }

    [Fact]
    public async Task Update_AfterAnotherWriterCommitted_IsRejectedWithConcurrencyException()
    {
        await using var db = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("tests"));
        var factory = CreateFactory(db);
        var runId = NewId.NextGuid();

        await using (var create = await factory.OpenAsync(CancellationToken.None))
        {
            await create.InsertAsync(new PipelineRunState { CorrelationId = runId, CurrentState = "Running", RequestedBy = "bob" }, CancellationToken.None);
            await create.CommitAsync();
        }

        await using var writerA = await factory.OpenAsync(CancellationToken.None);
        await using var writerB = await factory.OpenAsync(CancellationToken.None);
        var seenByA = await writerA.LoadAsync(runId, CancellationToken.None);
        var seenByB = await writerB.LoadAsync(runId, CancellationToken.None);
        Assert.NotNull(seenByA);
        Assert.NotNull(seenByB);

        seenByB.Steps.Add("b-was-here");
        await writerB.UpdateAsync(seenByB, CancellationToken.None);
        await writerB.CommitAsync();

        seenByA.Steps.Add("a-was-here");
        var conflict = await Assert.ThrowsAsync<ConcurrencyException>(() => writerA.UpdateAsync(seenByA, CancellationToken.None));
        Assert.Contains(runId.ToString(), conflict.Message, StringComparison.Ordinal);

        var stored = await LoadAsync(db, runId);
        Assert.NotNull(stored);
        Assert.Equal(["b-was-here"], stored.State.Steps);
        Assert.Equal(2, stored.Version);
    }

    [Fact]
    public async Task ConcurrentMessages_ForOneSaga_AreAllAppliedWithoutLostUpdates()
    {
        const int steps = 20;
        var runId = NewId.NextGuid();
        await using var db = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("tests"));
        using var host = await MessagingHosts.StartSagaHostAsync(PlatformInfrastructure.UniqueName("pipeline-run"));
        var bus = host.Services.GetRequiredService<IBus>();

        await bus.Publish(new PipelineRunSubmitted { RunId = runId, RequestedBy = "carol" });
        await Eventually.WaitUntilAsync(async () => await LoadAsync(db, runId) is not null, "the saga instance was created");
        await Task.WhenAll(Enumerable.Range(0, steps).Select(i => bus.Publish(new PipelineStepCompleted { RunId = runId, Step = $"step-{i:00}" })));

        await Eventually.WaitUntilAsync(async () => (await LoadAsync(db, runId))?.State.Steps.Count >= steps, "every step was recorded");
        await host.StopAsync();

        var stored = await LoadAsync(db, runId);
        Assert.NotNull(stored);
        Assert.Equal(Enumerable.Range(0, steps).Select(i => $"step-{i:00}"), stored.State.Steps.Order());
        Assert.Equal(steps + 1, stored.Version);
    }

    [Fact]
    public async Task Query_ByPropertyEquality_FindsMatchingInstancesThroughJsonContainment()
    {
        await using var db = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("tests"));
        var factory = CreateFactory(db);
        var requester = PlatformInfrastructure.UniqueName("dave");
        var ids = new[] { NewId.NextGuid(), NewId.NextGuid() };

        await using (var create = await factory.OpenAsync(CancellationToken.None))
        {
            foreach (var id in ids)
            {
                await create.InsertAsync(new PipelineRunState { CorrelationId = id, CurrentState = "Running", RequestedBy = requester }, CancellationToken.None);
            }

            await create.InsertAsync(new PipelineRunState { CorrelationId = NewId.NextGuid(), CurrentState = "Running", RequestedBy = "someone-else" }, CancellationToken.None);
            await create.CommitAsync();
        }

        await using var query = await factory.OpenAsync(CancellationToken.None);
        var found = await query.QueryAsync(s => s.RequestedBy == requester && s.CurrentState == "Running", CancellationToken.None);

        Assert.Equal(ids.Order(), found.Select(s => s.CorrelationId).Order());
    }

    static PostgresSagaRepositoryContextFactory<PipelineRunState> CreateFactory(NpgsqlDataSource db)
    {
        var services = new ServiceCollection().AddSingleton(db).BuildServiceProvider();
        return new PostgresSagaRepositoryContextFactory<PipelineRunState>(
            new PostgresSagaRepositoryOptions<PipelineRunState> { SagaTypeName = MessagingHosts.SagaTypeName },
            new SagaConsumeContextFactory<PostgresSagaDatabaseContext<PipelineRunState>, PipelineRunState>(),
            services);
    }

    sealed record StoredSaga(string CurrentState, int Version, PipelineRunState State);

    static async Task<StoredSaga?> LoadAsync(NpgsqlDataSource db, Guid id)
    {
        await PostgresSagaSchema.EnsureAsync(db, CancellationToken.None);
        await using var command = db.CreateCommand("SELECT current_state, version, data::text FROM saga_instances WHERE saga_type = $1 AND correlation_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = MessagingHosts.SagaTypeName });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return null;
        }

        return new StoredSaga(reader.GetString(0), reader.GetInt32(1), JsonSerializer.Deserialize<PipelineRunState>(reader.GetString(2))!);
    }
}
