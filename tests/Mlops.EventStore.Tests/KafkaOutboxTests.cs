using Confluent.Kafka;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.EventStore.Kafka;
using Mlops.EventStore.Outbox;
using Mlops.Kafka;
using Mlops.Testing;

namespace Mlops.EventStore.Tests;

public sealed class KafkaOutboxTests
{
    static void KafkaTypes(EventTypeRegistry types) => types
        .Register<ThingHappened>(OutboxTransports.Kafka)
        .Register<ThingRenamed>();

    [Fact]
    public async Task KafkaOutbox_CommittedWhileNoDispatcherRan_IsPublishedExactlyOnceByTheNextHost()
    {
        var schema = StoreHost.NewSchema();
        var topic = PlatformInfrastructure.UniqueName("es-kafka-outbox");
        var stream = "outbox-" + topic;
        try
        {
            // First host: the append commits, then the process "crashes" before any dispatcher published it.
            Guid eventId;
            using (var crashed = await StoreHost.StartAsync(schema, KafkaTypes))
            {
                var result = await crashed.Services.GetRequiredService<IEventStore>()
                    .AppendAsync(stream, ExpectedVersion.NoStream, [new ThingHappened { Name = topic, Amount = 1 }]);
                eventId = result.Events[0].EventId;
                await crashed.StopAsync();
            }

            using var restarted = await StartKafkaHostAsync(schema, topic);
            var store = restarted.Services.GetRequiredService<IEventStore>();
            await Eventually.WaitUntilAsync(async () => await PendingAsync(restarted, schema) == 0, "the committed event is dispatched after restart");

            // A sentinel on the same stream (same key, same partition): a duplicate of the first would precede it.
            var sentinel = await store.AppendAsync(stream, 1, [new ThingHappened { Name = topic, Amount = 2 }]);
            var records = await ReadUntilAsync(restarted, topic, sentinel.Events[0].EventId);

            Assert.Equal([eventId.ToString(), sentinel.Events[0].EventId.ToString()], records.Select(r => r.Envelope.Id));
            var first = records[0];
            Assert.Equal(stream, first.Key);
            Assert.Equal(stream, first.Envelope.Subject);
            Assert.Equal("tests.thing-happened.v1", first.Envelope.Type);
            Assert.Equal(topic, first.Envelope.Data.Name);
            Assert.Equal(1, first.Envelope.Data.Amount);
            await restarted.StopAsync();
        }
        finally
        {
            await StoreHost.DropSchemaAsync(schema);
        }
    }

    [Fact]
    public async Task KafkaOutbox_AppendRolledBack_PublishesNothing()
    {
        var schema = StoreHost.NewSchema();
        var topic = PlatformInfrastructure.UniqueName("es-kafka-rollback");
        try
        {
            using var host = await StartKafkaHostAsync(schema, topic, s => s.AddInlineProjection<CountingProjection>());
            var store = host.Services.GetRequiredService<IEventStore>();
            var projection = (CountingProjection)host.Services.GetServices<Projections.IInlineProjection>().OfType<CountingProjection>().Single();

            projection.Fail = true;
            await Assert.ThrowsAsync<InvalidOperationException>(() =>
                store.AppendAsync("rolled-back-" + topic, ExpectedVersion.NoStream, [new ThingHappened { Name = "rolled-back", Amount = 1 }]));
            projection.Fail = false;

            // Outbox rows are dispatched in position order, so once the later sentinel arrived, nothing else is coming.
            var sentinel = await store.AppendAsync("committed-" + topic, ExpectedVersion.NoStream, [new ThingHappened { Name = "committed", Amount = 2 }]);
            var records = await ReadUntilAsync(host, topic, sentinel.Events[0].EventId);

            Assert.Equal(["committed"], records.Select(r => r.Envelope.Data.Name));
            Assert.Equal(1, await StoreHost.ScalarAsync(host, "SELECT count(*) FROM \"" + schema + "\".outbox"));
            await host.StopAsync();
        }
        finally
        {
            await StoreHost.DropSchemaAsync(schema);
        }
    }

    [Fact]
    public async Task KafkaOutbox_BusAndKafkaWithKafkaFailingAfterBusAcknowledged_SendsEachBrokerExactlyOnce()
    {
        var schema = StoreHost.NewSchema();
        var name = PlatformInfrastructure.UniqueName("es-both");
        var stream = "both-" + name;
        var received = new ReceivedThings();
        try
        {
            await EnsureTopicAsync(name);
            // No topic yet: the Kafka send fails after the bus acknowledged, as if the Kafka broker were down.
            using var host = await StoreHost.StartAsync(
                schema,
                types => types.Register<ThingHappened>(OutboxTransports.Bus | OutboxTransports.Kafka),
                services: s => s.AddSingleton(received),
                bus: bus => bus.AddConsumer<ThingHappenedConsumer>().Endpoint(e =>
                {
                    e.Name = name;
                    e.AddConfigureEndpointCallback(c => ((IRabbitMqReceiveEndpointConfigurator)c).AutoDelete = true);
                }),
                dispatch: true,
                kafka: o => o.Topic = null);
            var store = host.Services.GetRequiredService<IEventStore>();
            var first = await store.AppendAsync(stream, ExpectedVersion.NoStream, [new ThingHappened { Name = name, Amount = 1 }]);
            var firstId = first.Events[0].EventId;

            await Eventually.WaitUntilAsync(async () => await StoreHost.ScalarAsync(host,
                "SELECT count(*) FROM \"" + schema + "\".outbox WHERE dispatched_transports = 1 AND dispatched_at IS NULL") == 1,
                "the bus send is recorded while the Kafka send keeps failing");
            await Eventually.WaitUntilAsync(() => received.Ids(name).Contains(firstId), "the bus delivered the event");

            // The Kafka broker "comes back": the retry must send to Kafka only, not to the bus again.
            host.Services.GetRequiredService<KafkaOutboxOptions>().Topic = name;
            await Eventually.WaitUntilAsync(async () => await PendingAsync(host, schema) == 0, "the Kafka send completes the row");
            var sentinel = await store.AppendAsync(stream, 1, [new ThingHappened { Name = name, Amount = 2 }]);
            var sentinelId = sentinel.Events[0].EventId;
            await Eventually.WaitUntilAsync(() => received.Ids(name).Contains(sentinelId), "the sentinel arrives on the bus");
            var records = await ReadUntilAsync(host, name, sentinelId);

            Assert.Equal([firstId, sentinelId], received.Ids(name));
            Assert.Equal([firstId.ToString(), sentinelId.ToString()], records.Select(r => r.Envelope.Id));
            await host.StopAsync();
        }
        finally
        {
            await StoreHost.DropSchemaAsync(schema);
        }
    }

    static async Task EnsureTopicAsync(string topic)
    {
        var admin = TestHost.CreateBuilder("event-store-tests");
        admin.AddPlatformKafka();
        using var adminHost = admin.Build();
        await adminHost.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([topic]);
    }

    static async Task<IHost> StartKafkaHostAsync(string schema, string topic, Action<IServiceCollection>? services = null)
    {
        // The topic exists before the dispatcher starts, so the first send does not race the broker's auto-creation.
        await EnsureTopicAsync(topic);
        return await StoreHost.StartAsync(schema, KafkaTypes, dispatch: true, services: services, kafka: o => o.Topic = topic);
    }

    static Task<long> PendingAsync(IHost host, string schema) =>
        StoreHost.ScalarAsync(host, "SELECT count(*) FROM \"" + schema + "\".outbox WHERE dispatched_at IS NULL");

    /// <summary>Reads the topic from the beginning with a throwaway consumer group until the event with <paramref name="lastId"/> arrived.</summary>
    static async Task<List<(string? Key, Contracts.Kafka.EventEnvelope<ThingHappened> Envelope)>> ReadUntilAsync(IHost host, string topic, Guid lastId)
    {
        var config = host.Services.GetRequiredService<KafkaClientConfigFactory>().CreateConsumerConfig(PlatformInfrastructure.UniqueName("reader"), "test-reader");
        using var consumer = new ConsumerBuilder<string?, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(topic);
        var records = new List<(string? Key, Contracts.Kafka.EventEnvelope<ThingHappened> Envelope)>();
        var deadline = DateTime.UtcNow + Eventually.DefaultTimeout;
        try
        {
            await Task.Run(() =>
            {
                while (!records.Any(r => r.Envelope.Id == lastId.ToString()) && DateTime.UtcNow < deadline)
                {
                    if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { Message: { } message })
                    {
                        records.Add((message.Key, EnvelopeSerializer.Deserialize<ThingHappened>(message.Value)));
                    }
                }
            });
        }
        finally
        {
            consumer.Close();
        }

        return records.Any(r => r.Envelope.Id == lastId.ToString())
            ? records
            : throw new TimeoutException($"Event {lastId} did not arrive on {topic}; read {records.Count} records.");
    }
}
