using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Contracts.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;

namespace Mlops.Kafka.Tests;

/// <summary>A producer and raw consumers against the real local broker, created once for the collection.</summary>
public sealed class KafkaFixture : IAsyncLifetime
{
    IHost? _host;

    /// <summary>The building block's producer.</summary>
    public IEventProducer Producer => Services.GetRequiredService<IEventProducer>();

    /// <summary>Services of the fixture's host.</summary>
    public IServiceProvider Services => _host?.Services ?? throw new InvalidOperationException("Fixture not initialised.");

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var builder = TestHost.CreateBuilder("kafka-tests");
        builder.AddPlatformKafka();
        _host = builder.Build();
        await _host.StartAsync();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }
    }

    /// <summary>Creates topics (on the local 0.9 broker, by metadata request) and waits for their leaders.</summary>
    public Task EnsureTopicsAsync(params string[] topics) => Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync(topics);

    /// <summary>Reads <paramref name="count"/> raw records of a topic from the beginning.</summary>
    public async Task<IReadOnlyList<ConsumeResult<string?, string>>> ReadAsync(string topic, int count, TimeSpan? timeout = null)
    {
        var config = Services.GetRequiredService<KafkaClientConfigFactory>().CreateConsumerConfig(PlatformInfrastructure.UniqueName("reader"), "test-reader");
        using var consumer = new ConsumerBuilder<string?, string>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(topic);
        var results = new List<ConsumeResult<string?, string>>();
        var deadline = DateTime.UtcNow + (timeout ?? Eventually.DefaultTimeout);
        try
        {
            await Task.Run(() =>
            {
                while (results.Count < count && DateTime.UtcNow < deadline)
                {
                    var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                    if (result?.Message is not null)
                    {
                        results.Add(result);
                    }
                }
            });
        }
        finally
        {
            consumer.Close();
        }

        return results.Count >= count
            ? results
            : throw new TimeoutException($"Read {results.Count} of {count} records from {topic}.");
    }

    /// <summary>How many records a topic holds (sum of its partitions' high watermarks; the tests' topics start empty).</summary>
    public long Count(string topic)
    {
        var factory = Services.GetRequiredService<KafkaClientConfigFactory>();
        using var admin = new AdminClientBuilder(factory.CreateAdminConfig("test-counter")).SetLogHandler((_, _) => { }).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single(t => t.Topic == topic).Partitions;
        using var consumer = new ConsumerBuilder<string?, string>(factory.CreateConsumerConfig(PlatformInfrastructure.UniqueName("counter"), "test-counter"))
            .SetLogHandler((_, _) => { }).Build();
        return partitions.Sum(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p.PartitionId), TimeSpan.FromSeconds(10)).High.Value);
    }

    /// <summary>Parses a dead-letter record value.</summary>
    public static EventEnvelope<DeadLetterRecord> ParseDeadLetter(string value) =>
        EnvelopeSerializer.Deserialize<DeadLetterRecord>(System.Text.Encoding.UTF8.GetBytes(value));
}
