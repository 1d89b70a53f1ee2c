using System.Collections.Concurrent;
using Confluent.Kafka;

namespace Mlops.Kafka.Consuming;

/// <summary>
/// Which partitions the consumers of this process own now, each under the epoch of its current assignment (a number
/// that changes at every assignment). With several replicas in a group, each sees only its partitions' records: state
/// built from a partition's records stays complete only while the same assignment lasts, which a caller checks by
/// comparing the epoch it saw when the record was handled with <see cref="Epoch"/> now.
/// </summary>
public sealed class KafkaPartitionOwnership
{
    readonly ConcurrentDictionary<(string Group, string Topic, int Partition), long> _owned = new();
    long _assignments;

    /// <summary>The epoch of the partition's current assignment to <paramref name="groupId"/>, or null when not owned.</summary>
    public long? Epoch(string groupId, string topic, int partition) =>
        _owned.TryGetValue((groupId, topic, partition), out var epoch) ? epoch : null;

    /// <summary>Records partitions just assigned (a new epoch for each).</summary>
    public void Assigned(string groupId, IEnumerable<TopicPartition> partitions)
    {
        var epoch = Interlocked.Increment(ref _assignments);
        foreach (var partition in partitions)
        {
            _owned[(groupId, partition.Topic, partition.Partition.Value)] = epoch;
        }
    }

    /// <summary>Records partitions revoked or lost: records of them may now go to another member.</summary>
    public void Revoked(string groupId, IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            _owned.TryRemove((groupId, partition.Topic, partition.Partition.Value), out _);
        }
    }

    /// <summary>Records that a group's consumer gave up all its partitions at once (left behind unclosed).</summary>
    public void RevokedAll(string groupId)
    {
        foreach (var key in _owned.Keys.Where(k => k.Group == groupId))
        {
            _owned.TryRemove(key, out _);
        }
    }
}
