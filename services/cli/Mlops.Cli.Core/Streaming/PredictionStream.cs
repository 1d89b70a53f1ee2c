using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Mlops.Contracts.Kafka;
using Mlops.Kafka;

namespace Mlops.Cli.Core.Streaming;

/// <summary>
/// Reads <c>predictions.v1</c> from "now on": every partition is assigned at its current end, so only predictions made
/// after <see cref="Open"/> are seen and no consumer group is joined or committed (the services' groups are untouched).
/// Connection settings come from the <c>Kafka</c> section (environment or the platform env file).
/// </summary>
public sealed class PredictionStream : IDisposable
{
    readonly IConsumer<byte[]?, byte[]> _consumer;

    PredictionStream(IConsumer<byte[]?, byte[]> consumer) => _consumer = consumer;

    /// <summary>Opens the stream at the topic's end.</summary>
    public static PredictionStream Open(IConfiguration configuration, string topic = Topics.Predictions)
    {
        var factory = KafkaClientConfigFactory.From(configuration);
        var config = factory.CreateConsumerConfig("mlops-cli-" + Guid.NewGuid().ToString("N")[..12], "mlops-cli");
        var consumer = new ConsumerBuilder<byte[]?, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        try
        {
            using var admin = new AdminClientBuilder(factory.CreateAdminConfig("mlops-cli-admin")).SetLogHandler((_, _) => { }).Build();
            var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(20));
            var partitions = metadata.Topics.Single(t => t.Topic == topic).Partitions;
            if (partitions.Count == 0)
            {
                throw new InvalidOperationException($"topic {topic} has no partitions (does it exist?)");
            }

            var assignment = partitions.Select(p =>
            {
                var partition = new TopicPartition(topic, p.PartitionId);
                var end = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(20)).High;
                return new TopicPartitionOffset(partition, end);
            }).ToList();
            consumer.Assign(assignment);
            return new PredictionStream(consumer);
        }
        catch
        {
            consumer.Dispose();
            throw;
        }
    }

    /// <summary>The next prediction, or null when none arrived within <paramref name="wait"/>.</summary>
    public PredictionEvent? Next(TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < deadline)
        {
            var result = _consumer.Consume(TimeSpan.FromMilliseconds(Math.Max(1, Math.Min(500, (deadline - DateTime.UtcNow).TotalMilliseconds))));
            if (result?.Message?.Value is { } value && PredictionEvent.TryParse(value) is { } prediction)
            {
                return prediction;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _consumer.Close();
        _consumer.Dispose();
    }
}
