using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Kafka;
using Mlops.Kafka;
using Mlops.Testing;

namespace Mlops.Monitoring.Tests;

/// <summary>Reads a topic from the beginning with a throwaway consumer group, as any downstream consumer would.</summary>
internal sealed class TopicReader : IDisposable
{
    readonly IConsumer<string?, byte[]> _consumer;

    public TopicReader(IServiceProvider services, string topic)
    {
        var config = services.GetRequiredService<KafkaClientConfigFactory>().CreateConsumerConfig(PlatformInfrastructure.UniqueName("reader"), "test-reader");
        _consumer = new ConsumerBuilder<string?, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        _consumer.Subscribe(topic);
    }

    /// <summary>What arrived within half a second, with each record's key.</summary>
    public IEnumerable<(string? Key, EventEnvelope<T> Envelope)> Poll<T>()
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(500);
        while (DateTime.UtcNow < deadline)
        {
            var result = _consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result?.Message is not null)
            {
                yield return (result.Message.Key, EnvelopeSerializer.Deserialize<T>(result.Message.Value));
            }
        }
    }

    public void Dispose()
    {
        _consumer.Close();
        _consumer.Dispose();
    }
}
