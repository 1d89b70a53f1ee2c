using MassTransit;
using Mlops.Messaging.CrashingSaga;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Messaging.Tests.Outbox;

public sealed class SagaOutboxTests
{
    [Fact]
    public async Task SagaStateAndOutgoingMessage_FaultAtCommit_RollBackTogetherAndTheRetryDeliversOnce()
    {
        await using var scenario = await OutboxScenario.CreateAsync();
        // A deferred constraint trigger fails the first commit of this run: after the saga row and its outbox row were written.
        await using (var trigger = scenario.Database.CreateCommand("""
            CREATE SEQUENCE outbox_fault_once;
            CREATE FUNCTION outbox_fault_once() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.data->>'RequestedBy' = 'fault-once' AND nextval('outbox_fault_once') = 1 THEN
                    RAISE EXCEPTION 'injected fault at commit, after the saga state and its outbox message were written';
                END IF;
                RETURN NULL;
            END $$;
            CREATE CONSTRAINT TRIGGER outbox_fault_once AFTER INSERT OR UPDATE ON saga_instances
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION outbox_fault_once();
            """))
        {
            await trigger.ExecuteNonQueryAsync();
        }

        var runId = NewId.NextGuid();
        using var consumer = await scenario.StartConsumerAsync();
        using var saga = await scenario.StartSagaHostAsync();
        await saga.Services.GetRequiredService<IBus>().Publish(new OutboxRunSubmitted { RunId = runId, RequestedBy = "fault-once" });

        await Eventually.WaitUntilAsync(() => scenario.Ledger.AppliedFor(runId).Count == 1, "the run's first step request was delivered");
        // The consumer can see the message before the relay's commit marks it delivered.
        await Eventually.WaitUntilAsync(async () => (await scenario.OutboxRowsAsync(runId)).All(r => r.Delivered), "the relay recorded the delivery");
        await saga.StopAsync();
        await consumer.StopAsync();

        await using (var attempts = scenario.Database.CreateCommand("SELECT last_value FROM outbox_fault_once"))
        {
            Assert.Equal(2L, await attempts.ExecuteScalarAsync());
        }

        var stored = await scenario.LoadRunAsync(runId);
        Assert.NotNull(stored);
        Assert.Equal(("Running", 1), (stored.CurrentState, stored.Version));
        var row = Assert.Single(await scenario.OutboxRowsAsync(runId));
        Assert.True(row.Delivered);
        Assert.Equal(1, scenario.Ledger.Received[row.MessageId]);
        Assert.Equal(1, Assert.Single(scenario.Ledger.AppliedFor(runId)).Sequence);
    }

    [Fact]
    public async Task SagaProcess_KilledAfterCommitBeforeDelivery_RestartedProcessDeliversTheMessageOnce()
    {
        await using var scenario = await OutboxScenario.CreateAsync();
        var runId = NewId.NextGuid();

        var held = await scenario.HoldBackRunAsync(runId);
        using var consumer = await scenario.StartConsumerAsync();
        await OutboxScenario.SendToSagaAsync(consumer, new OutboxRunSubmitted { RunId = runId, RequestedBy = "erin" });
        using (var doomed = scenario.StartSagaProcess())
        {
            try
            {
                await Eventually.WaitUntilAsync(async () => (await scenario.OutboxRowsAsync(runId)).Count == 2, "the saga process committed its state and its message");
            }
            finally
            {
                doomed.Kill(); // SIGKILL: no shutdown, no flushing
                await doomed.WaitForExitAsync();
            }
        }

        Assert.NotNull(await scenario.LoadRunAsync(runId));
        Assert.False((await scenario.OutboxRowsAsync(runId))[1].Delivered);
        Assert.Empty(scenario.Ledger.AppliedFor(runId));

        await held.DisposeAsync();

        using (var restarted = scenario.StartSagaProcess())
        {
            try
            {
                await Eventually.WaitUntilAsync(() => scenario.Ledger.AppliedFor(runId).Count == 1, "the restarted process's relay delivered the committed message");
                await OutboxScenario.SendToSagaAsync(consumer, new OutboxRunStepCompleted { RunId = runId, Step = "train" });
                await Eventually.WaitUntilAsync(() => scenario.Ledger.AppliedFor(runId).Count == 2, "the run continued in the restarted process");
                await Eventually.WaitUntilAsync(async () => (await scenario.OutboxRowsAsync(runId)).All(r => r.Delivered), "the relay recorded both deliveries");
            }
            finally
            {
                restarted.Kill();
                await restarted.WaitForExitAsync();
            }
        }

        await consumer.StopAsync();
        var rows = await scenario.OutboxRowsAsync(runId);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.True(r.Delivered));
        Assert.True(scenario.Ledger.Received[rows[0].MessageId] >= 1);
        Assert.Equal([1, 2], scenario.Ledger.AppliedFor(runId).Select(m => m.Sequence));
        Assert.Equal(rows.Select(r => r.MessageId), scenario.Ledger.Applied.Where(a => a.Value.RunId == runId).OrderBy(a => a.Value.Sequence).Select(a => a.Key));
    }

    [Fact]
    public async Task Delivery_RefusedByTheBroker_IsRetriedUntilItGoesThroughOnce()
    {
        await using var scenario = await OutboxScenario.CreateAsync();
        var runId = NewId.NextGuid();
        var held = await scenario.HoldBackRunAsync(runId);
        using var consumer = await scenario.StartConsumerAsync();
        using var saga = await scenario.StartSagaHostAsync();
        await saga.Services.GetRequiredService<IBus>().Publish(new OutboxRunSubmitted { RunId = runId, RequestedBy = "heidi" });
        await Eventually.WaitUntilAsync(async () => (await scenario.OutboxRowsAsync(runId)).Count == 2, "the saga committed its state and its message");

        // The broker refuses every publish on the virtual host (write permission withdrawn), as an outage of the broker would.
        await scenario.SetBrokerWritesAsync(allowed: false);
        await held.DisposeAsync();
        // MassTransit keeps retrying the refused publish itself until the relay's DeliveryTimeout ends the attempt.
        await Eventually.WaitUntilAsync(async () => await scenario.DeliveryAttemptsAsync(runId) >= 1, "the relay recorded a failed attempt");
        Assert.Empty(scenario.Ledger.AppliedFor(runId));

        await scenario.SetBrokerWritesAsync(allowed: true);
        await Eventually.WaitUntilAsync(() => scenario.Ledger.AppliedFor(runId).Count == 1, "the message went through once the broker accepted it");
        await Eventually.WaitUntilAsync(async () => (await scenario.OutboxRowsAsync(runId)).All(r => r.Delivered), "the relay recorded the delivery");
        await saga.StopAsync();
        await consumer.StopAsync();

        var row = Assert.Single(await scenario.OutboxRowsAsync(runId));
        Assert.Equal(1, scenario.Ledger.Received[row.MessageId]);
    }

    [Fact]
    public async Task InboundMessage_RedeliveredWithTheSameMessageId_IsAppliedOnce()
    {
        await using var scenario = await OutboxScenario.CreateAsync();
        var runId = NewId.NextGuid();
        var stepMessageId = NewId.NextGuid();
        using var consumer = await scenario.StartConsumerAsync();
        using var saga = await scenario.StartSagaHostAsync();
        var bus = saga.Services.GetRequiredService<IBus>();
        var observer = new InboundObserver(stepMessageId);
        using var observation = bus.ConnectReceiveObserver(observer);

        await bus.Publish(new OutboxRunSubmitted { RunId = runId, RequestedBy = "frank" });
        await Eventually.WaitUntilAsync(() => scenario.Ledger.AppliedFor(runId).Count == 1, "the run started");
        foreach (var delivery in new[] { 1, 2 })
        {
            await bus.Publish(new OutboxRunStepCompleted { RunId = runId, Step = "train" }, c => c.MessageId = stepMessageId);
            await Eventually.WaitUntilAsync(() => observer.ConsumedBy.Count == delivery, $"delivery {delivery} of the same message was handled");
        }

        await bus.Publish(new OutboxRunStepCompleted { RunId = runId, Step = "evaluate" });
        await Eventually.WaitUntilAsync(() => scenario.Ledger.AppliedFor(runId).Count == 3, "the following step was applied");
        await saga.StopAsync();
        await consumer.StopAsync();

        var stored = await scenario.LoadRunAsync(runId);
        Assert.NotNull(stored);
        Assert.Equal(["train", "evaluate"], stored.State.Steps);
        Assert.Equal(3, stored.Version);
        Assert.Equal(2, observer.ConsumedBy.Count);
        Assert.Equal([(1, "submitted"), (2, "train"), (3, "evaluate")], scenario.Ledger.AppliedFor(runId).Select(m => (m.Sequence, m.After)));
    }

    [Fact]
    public async Task TwoReplicas_EachWithItsRelay_DeliverEveryMessageOnceInOrderPerRun()
    {
        const int runs = 10;
        string[] steps = ["validate", "split", "train", "evaluate"];
        await using var scenario = await OutboxScenario.CreateAsync();
        using var consumer = await scenario.StartConsumerAsync();
        using var replicaA = await scenario.StartSagaHostAsync();
        using var replicaB = await scenario.StartSagaHostAsync();
        var buses = new[] { replicaA, replicaB }.Select(h => h.Services.GetRequiredService<IBus>()).ToArray();
        var runIds = Enumerable.Range(0, runs).Select(_ => NewId.NextGuid()).ToArray();

        await Task.WhenAll(runIds.Select((id, i) => buses[i % 2].Publish(new OutboxRunSubmitted { RunId = id, RequestedBy = "grace" })));
        await Eventually.WaitUntilAsync(async () =>
        {
            foreach (var id in runIds)
            {
                if (await scenario.LoadRunAsync(id) is null)
                {
                    return false;
                }
            }

            return true;
        }, "every run started");
        await Task.WhenAll(runIds.SelectMany((id, i) => steps.Select((step, j) =>
            buses[(i + j) % 2].Publish(new OutboxRunStepCompleted { RunId = id, Step = step }))));

        var expected = runs * (steps.Length + 1);
        await Eventually.WaitUntilAsync(() => scenario.Ledger.Applied.Count == expected, $"{expected} messages were delivered");
        await Eventually.WaitUntilAsync(async () =>
        {
            await using var pending = scenario.Database.CreateCommand("SELECT count(*) FROM saga_outbox WHERE delivered_at IS NULL");
            return (long)(await pending.ExecuteScalarAsync())! == 0;
        }, "the relays recorded every delivery");
        await replicaA.StopAsync();
        await replicaB.StopAsync();
        await consumer.StopAsync();

        Assert.Equal(expected, scenario.Ledger.Received.Count);
        Assert.All(scenario.Ledger.Received, r => Assert.Equal(1, r.Value));
        foreach (var id in runIds)
        {
            Assert.Equal(Enumerable.Range(1, steps.Length + 1), scenario.Ledger.AppliedFor(id).Select(m => m.Sequence));
            Assert.All(await scenario.OutboxRowsAsync(id), r => Assert.True(r.Delivered));
        }
    }
}
