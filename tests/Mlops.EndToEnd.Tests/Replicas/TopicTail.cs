using System.Text.Json.Nodes;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Mlops.Kafka;

namespace Mlops.EndToEnd.Tests.Replicas;

/// <summary>
/// A topic read from "now on" without joining any group (every partition assigned at its end when opened), so what the
/// services publish during a test can be counted without touching their consumer groups. Records are kept only when
/// their key starts with the test's entity prefix.
/// </summary>
public sealed class TopicTail : IDisposable
{
    readonly IConsumer<string?, byte[]> _consumer;
    readonly string _keyPrefix;
    readonly List<TopicPartition> _partitions;
    readonly List<JsonNode> _records = [];
    readonly Dictionary<int, long> _next;

    TopicTail(IConsumer<string?, byte[]> consumer, List<TopicPartitionOffset> start, string keyPrefix)
    {
        _consumer = consumer;
        _partitions = start.Select(p => p.TopicPartition).ToList();
        _next = start.ToDictionary(p => p.Partition.Value, p => p.Offset.Value);
        _keyPrefix = keyPrefix;
    }

    /// <summary>The topic's name.</summary>
    public string Topic => _partitions[0].Topic;

    /// <summary>Opens the tail at the current end of every partition.</summary>
    public static TopicTail Open(IConfiguration configuration, string topic, string keyPrefix)
    {
        var factory = Factory(configuration);
        var consumer = new ConsumerBuilder<string?, byte[]>(factory.CreateConsumerConfig("e2e-tail-" + Guid.NewGuid().ToString("N")[..12], "e2e-tail"))
            .SetLogHandler((_, _) => { })
            .Build();
        using var admin = new AdminClientBuilder(factory.CreateAdminConfig("e2e-tail-admin")).SetLogHandler((_, _) => { }).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(20)).Topics.Single(t => t.Topic == topic).Partitions
            .Select(p => new TopicPartition(topic, p.PartitionId)).ToList();
        var start = partitions.Select(p => new TopicPartitionOffset(p, consumer.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(20)).High)).ToList();
        consumer.Assign(start);
        return new TopicTail(consumer, start, keyPrefix);
    }

    /// <summary>
    /// Reads up to the end every partition has now and returns every record kept since opening (the envelopes, parsed).
    /// </summary>
    public IReadOnlyList<JsonNode> ReadToEnd()
    {
        var ends = _partitions.ToDictionary(p => p.Partition.Value, p => _consumer.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(20)).High.Value);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (_next.Any(p => p.Value < ends[p.Key]))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Topic} not read to its end within a minute");
            }

            if (_consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { Message: { } message } result)
            {
                continue;
            }

            _next[result.Partition.Value] = result.Offset.Value + 1;
            if (message.Key?.StartsWith(_keyPrefix, StringComparison.Ordinal) == true)
            {
                _records.Add(JsonNode.Parse(message.Value)!);
            }
        }

        return _records;
    }

    /// <summary>Offsets the consumer group <paramref name="groupId"/> has committed on <paramref name="topic"/> are at its end (no lag).</summary>
    public static bool GroupCaughtUp(IConfiguration configuration, string groupId, string topic)
    {
        var factory = Factory(configuration);
        // Committed offsets are only read: the consumer never subscribes, so it does not join (or disturb) the group.
        using var reader = new ConsumerBuilder<Ignore, Ignore>(factory.CreateConsumerConfig(groupId, "e2e-lag-reader")).SetLogHandler((_, _) => { }).Build();
        using var admin = new AdminClientBuilder(factory.CreateAdminConfig("e2e-lag-admin")).SetLogHandler((_, _) => { }).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(20)).Topics.Single(t => t.Topic == topic).Partitions
            .Select(p => new TopicPartition(topic, p.PartitionId)).ToList();
        return reader.Committed(partitions, TimeSpan.FromSeconds(20))
            .All(c => Math.Max(c.Offset.Value, 0) >= reader.QueryWatermarkOffsets(c.TopicPartition, TimeSpan.FromSeconds(20)).High.Value);
    }

    static KafkaClientConfigFactory Factory(IConfiguration configuration) => KafkaClientConfigFactory.From(configuration);

    /// <inheritdoc />
    public void Dispose()
    {
        _consumer.Close();
        _consumer.Dispose();
    }
}
