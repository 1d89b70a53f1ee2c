using System.Collections.Concurrent;

namespace Mlops.Kafka.Consuming;

/// <summary>A consumer that stopped taking records because a dependency of its handler does not answer.</summary>
/// <param name="GroupId">The consumer group.</param>
/// <param name="Since">When it started waiting.</param>
/// <param name="Retries">Retries of the same records so far.</param>
/// <param name="Reason">The last failure, naming the dependency.</param>
public sealed record ConsumerWait(string GroupId, DateTimeOffset Since, int Retries, string Reason);

/// <summary>Which consumers of this process are waiting on a dependency; read by the readiness check.</summary>
public sealed class KafkaConsumerStatus
{
    readonly ConcurrentDictionary<string, ConsumerWait> _waiting = new(StringComparer.Ordinal);

    /// <summary>Consumers waiting now.</summary>
    public IReadOnlyCollection<ConsumerWait> Waiting => [.. _waiting.Values];

    /// <summary>Records (or updates) that a consumer is waiting.</summary>
    public void SetWaiting(string groupId, int retries, string reason, TimeProvider clock) =>
        _waiting.AddOrUpdate(
            groupId,
            _ => new ConsumerWait(groupId, clock.GetUtcNow(), retries, reason),
            (_, existing) => existing with { Retries = retries, Reason = reason });

    /// <summary>The consumer's dependency answered again.</summary>
    public void SetFlowing(string groupId) => _waiting.TryRemove(groupId, out _);
}
