using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Mlops.Contracts.Kafka;

namespace Mlops.Kafka.DeadLetters;

/// <summary>
/// Reads the dead-letter topic without joining a consumer group (partitions are assigned, nothing is committed), so
/// listing dead letters never moves anyone's offsets. The topic is small by nature: it is read from the start.
/// </summary>
public sealed class DeadLetterReader(KafkaClientConfigFactory configFactory, ILogger<DeadLetterReader> logger)
{
    static readonly TimeSpan BrokerTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The configured dead-letter topic.</summary>
    public string Topic => configFactory.Options.DeadLetterTopic;

    /// <summary>Every dead letter up to the current end of the topic, in topic order per partition.</summary>
    public Task<IReadOnlyList<(DeadLetterId Id, EventEnvelope<DeadLetterRecord> Envelope)>> ReadAllAsync(CancellationToken cancellationToken) =>
        Task.Run(() => Read(null, cancellationToken), cancellationToken);

    /// <summary>One dead letter, or null when there is none at that position.</summary>
    public async Task<EventEnvelope<DeadLetterRecord>?> ReadAsync(DeadLetterId id, CancellationToken cancellationToken) =>
        (await Task.Run(() => Read(id, cancellationToken), cancellationToken)).FirstOrDefault(r => r.Id == id).Envelope;

    /// <summary>
    /// The topic's end offset per partition, without reading a record: it moves exactly when a dead letter is appended,
    /// so a watcher (the dashboard's live feed) learns of new dead letters without reading the topic every few seconds.
    /// Empty while the topic does not exist.
    /// </summary>
    public Task<IReadOnlyDictionary<int, long>> EndsAsync(CancellationToken cancellationToken) => Task.Run<IReadOnlyDictionary<int, long>>(() =>
    {
        using var consumer = new ConsumerBuilder<string?, byte[]>(configFactory.CreateConsumerConfig("deadletter-reader", "deadletter-reader"))
            .SetLogHandler((_, m) => logger.LogDebug("librdkafka {Facility}: {Message}", m.Facility, m.Message))
            .Build();
        using var admin = new AdminClientBuilder(configFactory.CreateAdminConfig("deadletter-reader")).SetLogHandler((_, _) => { }).Build();
        var metadata = admin.GetMetadata(Topic, BrokerTimeout).Topics.SingleOrDefault(t => t.Topic == Topic);
        if (metadata is null || metadata.Error.Code != ErrorCode.NoError)
        {
            return new Dictionary<int, long>();
        }

        return metadata.Partitions.OrderBy(p => p.PartitionId).ToDictionary(
            p => p.PartitionId,
            p => consumer.QueryWatermarkOffsets(new TopicPartition(Topic, p.PartitionId), BrokerTimeout).High.Value);
    }, cancellationToken);

    IReadOnlyList<(DeadLetterId Id, EventEnvelope<DeadLetterRecord> Envelope)> Read(DeadLetterId? only, CancellationToken cancellationToken)
    {
        var config = configFactory.CreateConsumerConfig("deadletter-reader", "deadletter-reader");
        using var consumer = new ConsumerBuilder<string?, byte[]>(config)
            .SetLogHandler((_, m) => logger.LogDebug("librdkafka {Facility}: {Message}", m.Facility, m.Message))
            .Build();
        using var admin = new AdminClientBuilder(configFactory.CreateAdminConfig("deadletter-reader")).SetLogHandler((_, _) => { }).Build();
        var metadata = admin.GetMetadata(Topic, BrokerTimeout).Topics.SingleOrDefault(t => t.Topic == Topic);
        if (metadata is null || metadata.Error.Code != ErrorCode.NoError)
        {
            return [];
        }

        var ends = new Dictionary<int, long>();
        var starts = new List<TopicPartitionOffset>();
        foreach (var partition in metadata.Partitions.Select(p => p.PartitionId).Where(p => only is null || p == only.Value.Partition))
        {
            var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(Topic, partition), BrokerTimeout);
            var from = only is { } id ? Math.Max(id.Offset, watermarks.Low.Value) : watermarks.Low.Value;
            var to = only is { } one ? Math.Min(one.Offset + 1, watermarks.High.Value) : watermarks.High.Value;
            if (from < to)
            {
                ends[partition] = to;
                starts.Add(new TopicPartitionOffset(Topic, partition, from));
            }
        }

        var found = new List<(DeadLetterId Id, EventEnvelope<DeadLetterRecord> Envelope)>();
        if (starts.Count == 0)
        {
            return found;
        }

        consumer.Assign(starts);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (ends.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the dead-letter topic {Topic} was not read to its end within 30 s");
            }

            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result?.Message is null)
            {
                continue;
            }

            var partition = result.Partition.Value;
            if (ends.TryGetValue(partition, out var end) && result.Offset.Value < end)
            {
                try
                {
                    found.Add((new DeadLetterId(partition, result.Offset.Value), EnvelopeSerializer.Deserialize<DeadLetterRecord>(result.Message.Value)));
                }
                catch (InvalidEnvelopeException ex)
                {
                    logger.LogWarning("Dead letter {Partition}-{Offset} on {Topic} is unreadable: {Reason}", partition, result.Offset.Value, Topic, ex.Message);
                }
            }

            if (result.Offset.Value + 1 >= end)
            {
                ends.Remove(partition);
            }
        }

        consumer.Close();
        return found;
    }
}
