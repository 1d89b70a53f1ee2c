using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Messaging;
using Mlops.Testing;

namespace Mlops.EventStore.Tests;

public sealed class OutboxTests
{
    [Fact]
    public async Task Outbox_CommittedWhileNoDispatcherRan_IsPublishedExactlyOnceByTheNextHost()
    {
        var schema = StoreHost.NewSchema();
        var queue = PlatformInfrastructure.UniqueName("es-outbox");
        var received = new ReceivedThings();
        try
        {
            // First host: the append commits, then the process "crashes" before any dispatcher published it.
            Guid eventId;
            using (var crashed = await StoreHost.StartAsync(schema))
            {
                var result = await crashed.Services.GetRequiredService<IEventStore>()
                    .AppendAsync("outbox-" + queue, ExpectedVersion.NoStream, [new ThingHappened { Name = queue, Amount = 1 }]);
                eventId = result.Events[0].EventId;
                await crashed.StopAsync();
            }

            using var restarted = await StoreHost.StartAsync(schema, dispatch: true, services: s => s.AddSingleton(received), bus: bus =>
                bus.AddConsumer<ThingHappenedConsumer>().Endpoint(e =>
                {
                    e.Name = queue;
                    e.AddConfigureEndpointCallback(c => ((IRabbitMqReceiveEndpointConfigurator)c).AutoDelete = true);
                }));
            var store = restarted.Services.GetRequiredService<IEventStore>();
            await Eventually.WaitUntilAsync(() => received.Ids(queue).Contains(eventId), "the committed event is published after restart");

            // A sentinel published after it: once it arrived, a duplicate of the first would have arrived before it.
            var sentinel = await store.AppendAsync("outbox-" + queue, 1, [new ThingHappened { Name = queue, Amount = 2 }]);
            await Eventually.WaitUntilAsync(() => received.Ids(queue).Contains(sentinel.Events[0].EventId), "the sentinel is published");

            Assert.Equal([eventId, sentinel.Events[0].EventId], received.Ids(queue));
            Assert.Equal(0, await StoreHost.ScalarAsync(restarted, "SELECT count(*) FROM \"" + schema + "\".outbox WHERE dispatched_at IS NULL"));
            await restarted.StopAsync();
        }
        finally
        {
            await StoreHost.DropSchemaAsync(schema);
        }
    }

    [Fact]
    public async Task Outbox_EventTypeNotMarkedPublished_GetsNoOutboxRow()
    {
        var schema = StoreHost.NewSchema();
        try
        {
            using var host = await StoreHost.StartAsync(schema);
            await host.Services.GetRequiredService<IEventStore>().AppendAsync("quiet", ExpectedVersion.NoStream, [new ThingRenamed { NewName = "x" }, new ThingHappened { Name = "y" }]);

            Assert.Equal(1, await StoreHost.ScalarAsync(host, "SELECT count(*) FROM \"" + schema + "\".outbox"));
            await host.StopAsync();
        }
        finally
        {
            await StoreHost.DropSchemaAsync(schema);
        }
    }
}

internal sealed class ReceivedThings
{
    readonly ConcurrentQueue<(string Name, Guid MessageId)> _messages = new();

    public void Add(string name, Guid messageId) => _messages.Enqueue((name, messageId));

    public List<Guid> Ids(string name) => _messages.Where(m => m.Name == name).Select(m => m.MessageId).ToList();
}

internal sealed class ThingHappenedConsumer(ReceivedThings received) : IConsumer<ThingHappened>
{
    public Task Consume(ConsumeContext<ThingHappened> context)
    {
        received.Add(context.Message.Name, context.MessageId ?? Guid.Empty);
        return Task.CompletedTask;
    }
}
