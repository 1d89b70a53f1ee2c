using Confluent.Kafka;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Features;
using Mlops.Inference.Models;
using Mlops.Inference.Streaming;
using Mlops.Kafka.Consuming;

namespace Mlops.Inference.Tests.Streaming;

/// <summary>
/// When a replica may serve a vector from its own cache: always for a vector of a partition it still owns under the same
/// assignment; otherwise only within <c>Inference:OnlineCache:MaxAge</c> (time is a manual clock, never waited for).
/// </summary>
public sealed class OnlineFeatureCacheFreshnessTests
{
    const string Group = "inference-streaming";
    const string Topic = "features.v1";
    const string Version = "vitals-0123456789ab";
    static readonly DateTimeOffset T0 = new(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);

    readonly KafkaPartitionOwnership _ownership = new();
    readonly ManualClock _clock = new(T0);
    readonly OnlineFeatureCache _cache;

    public OnlineFeatureCacheFreshnessTests() =>
        _cache = new OnlineFeatureCache(_ownership, Options.Create(new InferenceOptions { OnlineCache = { MaxAge = TimeSpan.FromSeconds(1) } }), _clock);

    [Fact]
    public void VectorOfAnOwnedPartition_StaysFreshWhileTheAssignmentLasts()
    {
        _ownership.Assigned(Group, [new TopicPartition(Topic, 2)]);
        _cache.Update(Vector("p-1", 70, T0), Context(2));
        _clock.Advance(TimeSpan.FromHours(1));

        Assert.True(_cache.TryGet(Version, "p-1", out var vector, out var fresh));
        Assert.True(fresh);
        Assert.Equal(70, vector.Values["heart_rate_last"]);
    }

    [Fact]
    public void VectorOfARevokedPartition_IsStaleOnceOlderThanMaxAge_EvenIfThePartitionComesBack()
    {
        _ownership.Assigned(Group, [new TopicPartition(Topic, 2)]);
        _cache.Update(Vector("p-1", 70, T0), Context(2));
        _ownership.Revoked(Group, [new TopicPartition(Topic, 2)]);
        Assert.True(_cache.TryGet(Version, "p-1", out _, out var freshRightAfter));
        Assert.True(freshRightAfter);

        // Back after another replica held it for a while: vectors may have gone there meanwhile.
        _ownership.Assigned(Group, [new TopicPartition(Topic, 2)]);
        _clock.Advance(TimeSpan.FromSeconds(2));

        Assert.True(_cache.TryGet(Version, "p-1", out _, out var fresh));
        Assert.False(fresh);
    }

    [Fact]
    public void VectorReadFromTheFeaturesService_IsFreshForMaxAgeOnly()
    {
        _cache.Update(Vector("p-2", 88, T0));
        _clock.Advance(TimeSpan.FromMilliseconds(900));
        Assert.True(_cache.TryGet(null, "p-2", out _, out var young));
        Assert.True(young);

        _clock.Advance(TimeSpan.FromMilliseconds(200));
        Assert.True(_cache.TryGet(null, "p-2", out var vector, out var fresh));
        Assert.False(fresh);
        Assert.Equal(88, vector.Values["heart_rate_last"]);
    }

    [Fact]
    public void OlderVector_NeverReplacesANewerOne_AndALateRecomputationOfTheSameTimeDoes()
    {
        _cache.Update(Vector("p-3", 60, T0, computedAt: T0.AddMinutes(1)));
        _cache.Update(Vector("p-3", 50, T0.AddMinutes(-5), computedAt: T0.AddMinutes(2)));
        Assert.True(_cache.TryGet(Version, "p-3", out var kept, out _));
        Assert.Equal(60, kept.Values["heart_rate_last"]);

        // A late observation: same newest event time, computed later.
        _cache.Update(Vector("p-3", 65, T0, computedAt: T0.AddMinutes(3)));
        Assert.True(_cache.TryGet(Version, "p-3", out var recomputed, out _));
        Assert.Equal(65, recomputed.Values["heart_rate_last"]);
    }

    [Fact]
    public void UnknownEntity_IsNotHeld()
    {
        Assert.False(_cache.TryGet(Version, "nobody", out _, out var fresh));
        Assert.False(fresh);
    }

    static FeatureVectorUpdated Vector(string entity, double heartRate, DateTimeOffset eventTime, DateTimeOffset? computedAt = null) => new()
    {
        EntityId = entity,
        EntityType = "patient",
        FeatureSetVersion = Version,
        Values = new Dictionary<string, double?> { ["heart_rate_last"] = heartRate },
        EventTime = eventTime,
        ComputedAt = computedAt ?? eventTime,
    };

    static KafkaMessageContext Context(int partition) => new()
    {
        Topic = Topic,
        Partition = partition,
        Offset = 1,
        ConsumerGroup = Group,
        Attempt = 1,
    };

    sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
