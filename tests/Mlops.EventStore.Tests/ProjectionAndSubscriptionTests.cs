using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.EventStore.Projections;
using Mlops.EventStore.Subscriptions;
using Npgsql;

namespace Mlops.EventStore.Tests;

public sealed class ProjectionAndSubscriptionTests : IAsyncLifetime
{
    readonly string _schema = StoreHost.NewSchema();
    IHost _host = null!;
    IEventStore Store => _host.Services.GetRequiredService<IEventStore>();
    CountingProjection Projection => _host.Services.GetServices<IInlineProjection>().OfType<CountingProjection>().Single();

    public async Task InitializeAsync() => _host = await StoreHost.StartAsync(_schema, services: s =>
    {
        s.AddInlineProjection<CountingProjection>();
        s.AddSingleton<CollectingSubscriber>();
        s.AddSingleton<CatchUpSubscription<CollectingSubscriber>>();
    });

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await StoreHost.DropSchemaAsync(_schema);
    }

    [Fact]
    public async Task InlineProjection_IsWrittenInTheAppendTransaction_AndAFailingOneRollsTheAppendBack()
    {
        await Store.AppendAsync("proj", ExpectedVersion.NoStream, [new ThingHappened { Name = "a" }, new ThingHappened { Name = "b" }]);
        Assert.Equal(2, await Count("SELECT events FROM \"" + _schema + "\".stream_counts WHERE stream_id = $1", "proj"));

        Projection.Fail = true;
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.AppendAsync("proj", 2, [new ThingHappened { Name = "c" }]));
        Projection.Fail = false;

        Assert.Equal(2, (await Store.LoadAsync("proj")).Version);
        Assert.Equal(2, await Count("SELECT events FROM \"" + _schema + "\".stream_counts WHERE stream_id = $1", "proj"));
        Assert.Equal(0, await Count("SELECT count(*) FROM \"" + _schema + "\".outbox WHERE stream_id = $1 AND position > 2", "proj"));
    }

    [Fact]
    public async Task CatchUpSubscription_StoresCheckpoint_AndResumesAfterIt()
    {
        var subscription = _host.Services.GetRequiredService<CatchUpSubscription<CollectingSubscriber>>();
        var subscriber = _host.Services.GetRequiredService<CollectingSubscriber>();
        await Store.AppendAsync("sub-a", ExpectedVersion.NoStream, [new ThingHappened { Name = "1" }, new ThingHappened { Name = "2" }]);

        Assert.Equal(2, await subscription.PollOnceAsync(CancellationToken.None));
        Assert.Equal(0, await subscription.PollOnceAsync(CancellationToken.None));
        await Store.AppendAsync("sub-b", ExpectedVersion.NoStream, [new ThingHappened { Name = "3" }]);
        Assert.Equal(1, await subscription.PollOnceAsync(CancellationToken.None));

        Assert.Equal(["1", "2", "3"], subscriber.Seen.Select(e => ((ThingHappened)e.Data).Name));
        var lastPosition = subscriber.Seen[^1].Position;
        Assert.Equal(lastPosition, await Count("SELECT position FROM \"" + _schema + "\".checkpoints WHERE subscription = $1", subscriber.SubscriptionName));
        Assert.Equal(3, await Count("SELECT count(*) FROM \"" + _schema + "\".subscriber_log"));
    }

    [Fact]
    public async Task CatchUpSubscription_WhileAnEarlierAppendIsStillOpen_DoesNotSkipIt()
    {
        var subscription = _host.Services.GetRequiredService<CatchUpSubscription<CollectingSubscriber>>();
        var subscriber = _host.Services.GetRequiredService<CollectingSubscriber>();
        var release = new TaskCompletionSource();
        Projection.Entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Projection.Gate = release.Task;

        // The held append has drawn its position and sits uncommitted; the later append must not become visible first.
        var held = Task.Run(() => Store.AppendAsync("held-1", ExpectedVersion.NoStream, [new ThingHappened { Name = "early" }]));
        await Projection.Entered.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var later = Task.Run(() => Store.AppendAsync("later-1", ExpectedVersion.NoStream, [new ThingHappened { Name = "late" }]));
        var key = _host.Services.GetRequiredService<EventStoreSchema>().AppendLockKey;
        await Mlops.Testing.Eventually.WaitUntilAsync(
            async () => await Count(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid::bigint = $1 AND objid::bigint = $2",
                (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF) > 0,
            "the later append waits for the append lock");
        await subscription.PollOnceAsync(CancellationToken.None);
        var seenWhileHeld = subscriber.Seen.Count;

        release.SetResult();
        var early = await held;
        var late = await later;
        while (await subscription.PollOnceAsync(CancellationToken.None) > 0)
        {
        }

        Assert.Equal(0, seenWhileHeld);
        Assert.True(early.Events[0].Position < late.Events[0].Position);
        Assert.Equal(["early", "late"], subscriber.Seen.Select(e => ((ThingHappened)e.Data).Name));
    }

    async Task<long> Count(string sql, params object[] values) => await StoreHost.ScalarAsync(_host, sql, values);
}

/// <summary>Remembers what it saw and writes a row per event on the subscription's transaction.</summary>
internal sealed class CollectingSubscriber(EventStoreSchema schema) : IEventSubscriber
{
    public List<RecordedEvent> Seen { get; } = [];

    public string SubscriptionName => "collector";

    public async Task HandleAsync(IReadOnlyList<RecordedEvent> events, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var table = "\"" + schema.Name + "\".subscriber_log";
        await using (var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS " + table + " (event_id uuid PRIMARY KEY)", connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var e in events)
        {
            await using var insert = new NpgsqlCommand("INSERT INTO " + table + " (event_id) VALUES ($1)", connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter { Value = e.EventId });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        Seen.AddRange(events);
    }
}
