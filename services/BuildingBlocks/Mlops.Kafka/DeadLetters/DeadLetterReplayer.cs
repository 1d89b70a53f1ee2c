using System.Text;
using Microsoft.Extensions.Logging;
using Mlops.Contracts.Kafka;
using Mlops.Kafka.Producing;

namespace Mlops.Kafka.DeadLetters;

/// <summary>Why a dead letter cannot be replayed.</summary>
public sealed class DeadLetterNotReplayableException(string reason) : Exception(reason);

/// <summary>
/// Lists dead letters with their replays and re-publishes one to its source topic: the original key and value, byte for
/// byte, so the envelope keeps its event id and every consumer's inbox turns away a record it already applied.
/// </summary>
public sealed class DeadLetterReplayer(DeadLetterReader reader, DeadLetterReplayLog log, IEventProducer producer, ILogger<DeadLetterReplayer> logger)
{
    /// <summary>The dead-letter topic this replayer works on.</summary>
    public string Topic => reader.Topic;

    /// <summary>Dead letters, newest first, filtered by source topic, consumer group and failure kind.</summary>
    public async Task<IReadOnlyList<DeadLetterEntry>> ListAsync(string? topic, string? group, string? kind, int limit, CancellationToken cancellationToken)
    {
        var all = await reader.ReadAllAsync(cancellationToken);
        var replays = (await log.ListAsync(Topic, null, int.MaxValue, cancellationToken)).ToLookup(r => r.Replay.DeadLetterId);
        return all
            .Where(d => (topic is null || d.Envelope.Data.OriginalTopic == topic)
                        && (group is null || d.Envelope.Data.ConsumerGroup == group)
                        && (kind is null || d.Envelope.Data.FailureKind == kind))
            .OrderByDescending(d => d.Envelope.Time)
            .Take(limit)
            .Select(d => new DeadLetterEntry(d.Id.ToString(), d.Envelope.Time, d.Envelope.Data, ReplaysOf(replays[d.Id.ToString()], d.Id, d.Envelope.Data)))
            .ToList();
    }

    /// <summary>One dead letter with its replays, or null.</summary>
    public async Task<DeadLetterEntry?> GetAsync(DeadLetterId id, CancellationToken cancellationToken)
    {
        var envelope = await reader.ReadAsync(id, cancellationToken);
        if (envelope is null)
        {
            return null;
        }

        var replays = await log.ListAsync(Topic, id.ToString(), int.MaxValue, cancellationToken);
        return new DeadLetterEntry(id.ToString(), envelope.Time, envelope.Data, ReplaysOf(replays, id, envelope.Data));
    }

    /// <summary>
    /// Re-publishes a dead letter's original record to its source topic, logged with who and why. Null when there is no
    /// dead letter at <paramref name="id"/>; throws <see cref="DeadLetterNotReplayableException"/> when it has no record to send.
    /// </summary>
    public async Task<DeadLetterReplay?> ReplayAsync(DeadLetterId id, string by, string reason, CancellationToken cancellationToken)
    {
        var envelope = await reader.ReadAsync(id, cancellationToken);
        if (envelope is null)
        {
            return null;
        }

        var record = envelope.Data;
        var value = OriginalBytes(record);
        using var activity = KafkaTelemetry.Source.StartActivity("deadletter replay");
        activity?.SetTag("messaging.destination.name", record.OriginalTopic);
        activity?.SetTag("messaging.message.id", record.OriginalEventId);
        var replayId = await log.StartAsync(Topic, id, record, by, reason, cancellationToken);
        var (partition, offset) = await producer.ProduceRawAtAsync(record.OriginalTopic, record.OriginalKey, value, cancellationToken);
        await log.CompleteAsync(replayId, partition, offset, cancellationToken);
        KafkaTelemetry.Replayed.Add(1, new KeyValuePair<string, object?>("messaging.destination.name", record.OriginalTopic));
        logger.LogInformation("Dead letter {Id} ({EventId}) replayed to {Topic}[{Partition}]@{Offset} by {By}: {Reason}",
            id, record.OriginalEventId, record.OriginalTopic, partition, offset, by, reason);
        return (await log.ListAsync(Topic, id.ToString(), 1, cancellationToken)).Single(r => r.Replay.ReplayId == replayId).Replay;
    }

    static DeadLetterReplay[] ReplaysOf(IEnumerable<LoggedReplay> logged, DeadLetterId id, DeadLetterRecord record) =>
        [.. logged.Where(r => r.Of(id.ToString(), record)).Select(r => r.Replay).OrderBy(r => r.RequestedAt)];

    static byte[] OriginalBytes(DeadLetterRecord record)
    {
        if (record.OriginalValue is null)
        {
            throw new DeadLetterNotReplayableException("the dead letter carries no original value (the record was empty); there is nothing to re-publish");
        }

        // The consumer host writes values that are not UTF-8 as "base64:…" (see KafkaConsumerHost.DecodeValue).
        const string base64 = "base64:";
        return record.OriginalValue.StartsWith(base64, StringComparison.Ordinal)
            ? Convert.FromBase64String(record.OriginalValue[base64.Length..])
            : Encoding.UTF8.GetBytes(record.OriginalValue);
    }
}
