using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Features;
using Mlops.Inference.Models;
using Mlops.Kafka.Consuming;

namespace Mlops.Inference.Streaming;

/// <summary>
/// The newest feature vector per (feature-set version, entity), so most predictions never call another service and a
/// vector of one set never stands in for another's. Vectors of the shipped set are also kept per entity whatever
/// their version, for models that record none (see <see cref="FeatureSets.ShippedName"/>). An older vector
/// (redelivered or out of order) never replaces a newer one.
/// <para>
/// Freshness, with several replicas in the streaming consumer group: each replica receives only its partitions of
/// <c>features.v1</c>, so a vector it holds is known to be current only if it came from a partition this replica still
/// owns under the same assignment (every newer vector of that entity would have come here too). Anything else — a
/// vector read through from the features service, the start-up warm-up, a vector of a partition since revoked — is
/// trusted for <see cref="OnlineCacheOptions.MaxAge"/> only; after that <see cref="OnlineFeatureReader"/> asks the
/// features service again.
/// </para>
/// </summary>
public sealed class OnlineFeatureCache(KafkaPartitionOwnership ownership, IOptions<InferenceOptions> options, TimeProvider clock)
{
    /// <summary>Where a held vector came from: a partition under one assignment, or (null) a read of the features service.</summary>
    sealed record Entry(FeatureVectorUpdated Vector, (string Group, string Topic, int Partition, long Epoch)? Partition, DateTimeOffset StoredAt);

    readonly ConcurrentDictionary<(string Version, string EntityId), Entry> _vectors = new();
    readonly ConcurrentDictionary<string, Entry> _shipped = new(StringComparer.Ordinal);

    /// <summary>Vectors held, one per feature-set version and entity.</summary>
    public int Count => _vectors.Count;

    /// <summary>A vector from <c>features.v1</c>, handled by this replica's consumer (<paramref name="context"/>).</summary>
    public void Update(FeatureVectorUpdated vector, KafkaMessageContext context)
    {
        var epoch = ownership.Epoch(context.ConsumerGroup, context.Topic, context.Partition);
        Put(new Entry(vector, epoch is { } e ? (context.ConsumerGroup, context.Topic, context.Partition, e) : null, clock.GetUtcNow()));
    }

    /// <summary>A vector read from the features service's online store (a read-through or the warm-up).</summary>
    public void Update(FeatureVectorUpdated vector) => Put(new Entry(vector, null, clock.GetUtcNow()));

    /// <summary>
    /// The entity's vector for a model recorded with <paramref name="featureSetVersion"/>: that exact version's, or
    /// (null) the newest of the shipped set; <paramref name="fresh"/> says whether it is known to be current.
    /// </summary>
    public bool TryGet(string? featureSetVersion, string entityId, out FeatureVectorUpdated vector, out bool fresh)
    {
        var found = featureSetVersion is null
            ? _shipped.TryGetValue(entityId, out var entry)
            : _vectors.TryGetValue((featureSetVersion, entityId), out entry);
        vector = found ? entry!.Vector : null!;
        fresh = found && IsFresh(entry!);
        return found;
    }

    bool IsFresh(Entry entry) => entry.Partition is var (group, topic, partition, epoch)
        ? ownership.Epoch(group, topic, partition) == epoch || Young(entry)
        : Young(entry);

    bool Young(Entry entry) => clock.GetUtcNow() - entry.StoredAt < options.Value.OnlineCache.MaxAge;

    void Put(Entry entry)
    {
        var vector = entry.Vector;
        _vectors.AddOrUpdate((vector.FeatureSetVersion, vector.EntityId), entry, (_, current) => Newer(entry, current));
        if (FeatureSets.IsShipped(vector.FeatureSetVersion))
        {
            _shipped.AddOrUpdate(vector.EntityId, entry, (_, current) => Newer(entry, current));
        }
    }

    // The features service computes an entity's vector at its newest event time; a late observation gives a vector of the
    // same event time computed later. The same vector seen again (from the store after Kafka) refreshes where it came from.
    static Entry Newer(Entry candidate, Entry current) =>
        (candidate.Vector.EventTime, candidate.Vector.ComputedAt).CompareTo((current.Vector.EventTime, current.Vector.ComputedAt)) >= 0 ? candidate : current;
}
