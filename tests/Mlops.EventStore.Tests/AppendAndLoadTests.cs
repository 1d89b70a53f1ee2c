using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Mlops.EventStore.Tests;

public sealed class AppendAndLoadTests : IAsyncLifetime
{
    readonly string _schema = StoreHost.NewSchema();
    IHost _host = null!;
    IEventStore Store => _host.Services.GetRequiredService<IEventStore>();

    public async Task InitializeAsync() => _host = await StoreHost.StartAsync(_schema);

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await StoreHost.DropSchemaAsync(_schema);
    }

    [Fact]
    public async Task Append_WithStaleExpectedVersion_ThrowsConflictAndWritesNothing()
    {
        await Store.AppendAsync("s-1", ExpectedVersion.NoStream, [new ThingHappened { Name = "a" }]);
        await Store.AppendAsync("s-1", 1, [new ThingHappened { Name = "b" }]);

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => Store.AppendAsync("s-1", 1, [new ThingHappened { Name = "lost" }]));

        Assert.Equal(2, conflict.ActualVersion);
        var loaded = await Store.LoadAsync("s-1");
        Assert.Equal(["a", "b"], loaded.Events.Select(e => ((ThingHappened)e.Data).Name));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => Store.AppendAsync("s-1", ExpectedVersion.NoStream, [new ThingHappened { Name = "again" }]));
    }

    [Fact]
    public async Task Append_ManyConcurrentWritersWithSameExpectedVersion_ExactlyOneWins()
    {
        await Store.AppendAsync("race", ExpectedVersion.NoStream, [new ThingHappened { Name = "start" }]);

        var attempts = Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
        {
            try
            {
                await Store.AppendAsync("race", 1, [new ThingHappened { Name = "writer-" + i }]);
                return true;
            }
            catch (ConcurrencyConflictException)
            {
                return false;
            }
        })).ToArray();
        var outcomes = await Task.WhenAll(attempts);

        Assert.Single(outcomes, won => won);
        var loaded = await Store.LoadAsync("race");
        Assert.Equal(2, loaded.Version);
        Assert.Equal(2, loaded.Events.Count);
    }

    [Fact]
    public async Task Append_AcrossStreams_GivesIncreasingGlobalPositionsAndStreamVersions()
    {
        var first = await Store.AppendAsync("p-a", ExpectedVersion.NoStream, [new ThingHappened { Name = "1" }, new ThingRenamed { NewName = "2" }]);
        var second = await Store.AppendAsync("p-b", ExpectedVersion.Any, [new ThingHappened { Name = "3" }]);
        var third = await Store.AppendAsync("p-a", 2, [new ThingHappened { Name = "4" }]);

        var all = await Store.ReadAllAsync(0, 100);

        Assert.Equal([1L, 2L], first.Events.Select(e => e.Version));
        Assert.Equal(3, third.NextExpectedVersion);
        Assert.Equal(first.Events.Concat(second.Events).Concat(third.Events).Select(e => e.EventId), all.Select(e => e.EventId));
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Position < p.Second.Position));
        Assert.IsType<ThingRenamed>(all[1].Data);
    }

    [Fact]
    public async Task Load_UpToVersionAndAsOfTime_ReturnsThePastStream()
    {
        var one = await Store.AppendAsync("t-1", ExpectedVersion.NoStream, [new ThingHappened { Name = "v1" }], new EventMetadata { Actor = "alice", Reason = "first" });
        var two = await Store.AppendAsync("t-1", 1, [new ThingHappened { Name = "v2" }]);
        await Store.AppendAsync("t-1", 2, [new ThingHappened { Name = "v3" }]);

        var upToTwo = await Store.LoadAsync("t-1", toVersion: 2);
        var asOfFirst = await Store.LoadAsync("t-1", asOf: one.Events[0].RecordedAt);
        var asOfBetween = await Store.LoadAsync("t-1", asOf: two.Events[0].RecordedAt.AddTicks(1));
        var beforeAnything = await Store.LoadAsync("t-1", asOf: one.Events[0].RecordedAt.AddTicks(-10));

        Assert.Equal(["v1", "v2"], upToTwo.Events.Select(e => ((ThingHappened)e.Data).Name));
        Assert.Equal(1, asOfFirst.Version);
        Assert.Equal("alice", asOfFirst.Events[0].Metadata.Actor);
        Assert.Equal("first", asOfFirst.Events[0].Metadata.Reason);
        Assert.Equal(2, asOfBetween.Version);
        Assert.Empty(beforeAnything.Events);
    }
}
