using System.Text.Json.Nodes;
using Confluent.Kafka;
using Mlops.Kafka;
using Mlops.Testing;

namespace Mlops.EndToEnd.Tests.Chaos;

/// <summary>
/// Reads a platform topic between offsets marked before a scenario and its end now, without joining a consumer group
/// (the services' groups and offsets are untouched). Works across broker restarts: each read is a fresh client.
/// </summary>
public static class TopicRange
{
    /// <summary>The current end offset of every partition of <paramref name="topic"/>.</summary>
    public static Dictionary<int, long> Ends(string topic)
    {
        using var consumer = Consumer();
        return Partitions(topic).ToDictionary(p => p, p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(20)).High.Value);
    }

    /// <summary>
    /// Every envelope from <paramref name="from"/> to <paramref name="to"/> (default: the partitions' current ends) whose
    /// subject starts with <paramref name="subjectPrefix"/>.
    /// </summary>
    public static List<JsonObject> Read(string topic, IReadOnlyDictionary<int, long> from, string subjectPrefix, IReadOnlyDictionary<int, long>? to = null)
    {
        using var consumer = Consumer();
        var found = new List<JsonObject>();
        foreach (var (partition, start) in from)
        {
            var tp = new TopicPartition(topic, partition);
            var end = to?.GetValueOrDefault(partition, start) ?? consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(20)).High.Value;
            if (end <= start)
            {
                continue;
            }

            consumer.Assign(new TopicPartitionOffset(tp, start));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            long next = start;
            while (next < end)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"reading {topic}[{partition}] stalled at offset {next} of {end}");
                }

                var result = consumer.Consume(TimeSpan.FromSeconds(1));
                if (result?.Message is null)
                {
                    continue;
                }

                next = result.Offset.Value + 1;
                if (JsonNode.Parse(result.Message.Value) is JsonObject envelope
                    && envelope["subject"]?.GetValue<string>() is { } subject && subject.StartsWith(subjectPrefix, StringComparison.Ordinal))
                {
                    found.Add(envelope);
                }
            }

            consumer.Unassign();
        }

        return found;
    }

    static IEnumerable<int> Partitions(string topic)
    {
        using var admin = new AdminClientBuilder(Factory().CreateAdminConfig("chaos-admin")).SetLogHandler((_, _) => { }).Build();
        return admin.GetMetadata(topic, TimeSpan.FromSeconds(20)).Topics.Single(t => t.Topic == topic).Partitions.Select(p => p.PartitionId).ToList();
    }

    static IConsumer<byte[]?, byte[]> Consumer()
    {
        var config = Factory().CreateConsumerConfig("chaos-reader-" + Guid.NewGuid().ToString("N")[..12], "chaos-reader");
        config.EnableAutoCommit = false;
        return new ConsumerBuilder<byte[]?, byte[]>(config).SetLogHandler((_, _) => { }).Build();
    }

    static KafkaClientConfigFactory Factory() => KafkaClientConfigFactory.From(PlatformInfrastructure.Configuration);
}
