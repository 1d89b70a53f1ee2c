using System.Net;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Registry;
using Mlops.Kafka;
using Mlops.Testing;

namespace Mlops.Registry.Tests;

public sealed class RegistryKafkaPublishingTests
{
    [Fact]
    public async Task Kafka_EventsCommittedWhileNoDaemonRan_ArePublishedOnceInOrderByTheNextHost_KeyedByModel()
    {
        var topic = PlatformInfrastructure.UniqueName("registry-events");
        var model = Models.NewName();
        string schema;
        // First registry: commits the registration but never publishes, as if it crashed after the commit.
        await using (var crashed = await RegistryHost.StartAsync(publish: false, keepSchema: true, kafkaTopic: topic))
        {
            schema = crashed.Schema;
            await Models.RegisterAsync(crashed, model, "1.0.0", Models.Metrics(0.8));
        }

        await using var restarted = await RegistryHost.StartAsync(schema, kafkaTopic: topic);
        // The topic exists before the first read, so the reader does not race the broker's auto-creation.
        await restarted.App.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([topic]);
        // Two decisions racing at one revision: nothing of the loser's may reach the topic, and the winner's events
        // follow the registration on the same key (a duplicate of the registration would precede them).
        var revision = (await restarted.Registry.GetAsync(model))!.Revision;
        var raced = await Task.WhenAll(
            Models.PromoteAsync(restarted, model, "1.0.0", expectedRevision: revision),
            Models.PromoteAsync(restarted, model, "1.0.0", ModelAliases.Challenger, expectedRevision: revision));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], raced.Select(r => r.StatusCode).Order());
        var history = await restarted.Registry.HistoryAsync(model);
        var records = await ReadUntilAsync(restarted, topic, history[^1].EventId);

        Assert.Equal(history.Select(e => e.EventId.ToString()), records.Select(r => r.Envelope.Id));
        Assert.All(records, r => Assert.Equal((model, model), (r.Key, r.Envelope.Subject)));
        Assert.Equal(history.Select(e => e.EventType), records.Select(r => r.Envelope.Type));
        Assert.Equal("1.0.0", records[0].Envelope.Data.GetProperty("version").GetString());
        Assert.Equal(history[0].RecordedAt, records[0].Envelope.Time);
    }

    /// <summary>Reads the topic from the beginning with a throwaway consumer group until the event with <paramref name="lastId"/> arrived.</summary>
    static async Task<List<(string? Key, Contracts.Kafka.EventEnvelope<JsonElement> Envelope)>> ReadUntilAsync(RegistryHost host, string topic, Guid lastId)
    {
        var config = host.App.Services.GetRequiredService<KafkaClientConfigFactory>().CreateConsumerConfig(PlatformInfrastructure.UniqueName("reader"), "registry-test-reader");
        using var consumer = new ConsumerBuilder<string?, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(topic);
        var records = new List<(string? Key, Contracts.Kafka.EventEnvelope<JsonElement> Envelope)>();
        var deadline = DateTime.UtcNow + Eventually.DefaultTimeout;
        try
        {
            await Task.Run(() =>
            {
                while (!records.Any(r => r.Envelope.Id == lastId.ToString()) && DateTime.UtcNow < deadline)
                {
                    if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { Message: { } message })
                    {
                        records.Add((message.Key, EnvelopeSerializer.Deserialize<JsonElement>(message.Value)));
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
