using Confluent.Kafka;
using Mlops.Features.Computation;
using Mlops.Features.Streaming;
using Mlops.Kafka.Consuming;

namespace Mlops.Features.Tests.Streaming;

public sealed class EntityWindowCacheTests
{
    const string Group = "features-stream";
    const string Topic = "observations.v1";
    static readonly DateTimeOffset T = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    static readonly TimeSpan Horizon = TimeSpan.FromHours(24);

    static KafkaMessageContext At(long offset, int partition = 0) =>
        new() { Topic = Topic, Partition = partition, Offset = offset, ConsumerGroup = Group, Attempt = 1 };

    static ObservationPoint Point(string id, double hoursAfterT) => new(id, "heart_rate", 80, T.AddHours(hoursAfterT), T.AddHours(hoursAfterT));

    static (KafkaPartitionOwnership Ownership, EntityWindowCache Cache) Owned(params int[] partitions)
    {
        var ownership = new KafkaPartitionOwnership();
        ownership.Assigned(Group, partitions.Select(p => new TopicPartition(Topic, p)));
        return (ownership, new EntityWindowCache(ownership));
    }

    static void Store(EntityWindowCache cache, string entityId, params long[] offsets)
    {
        var contexts = offsets.Select(o => At(o)).ToList();
        var batch = cache.Begin(contexts, contexts);
        batch.Set(entityId, contexts[0], Horizon, [Point($"{entityId}-{offsets[0]}", offsets[0])]);
        batch.Commit();
    }

    [Fact]
    public void TryGet_NextBatchFollowsOnFromTheCommittedOne_IsAHit()
    {
        var (_, cache) = Owned(0);
        Store(cache, "patient-1", 0, 1, 2);

        var next = cache.Begin([At(3), At(4)], [At(3), At(4)]);

        Assert.True(next.TryGet("patient-1", At(3), Horizon, out var points));
        Assert.Equal("patient-1-0", Assert.Single(points).ObservationId);
    }

    [Fact]
    public void TryGet_BatchNotCommitted_IsNotSeenByTheRetry()
    {
        var (_, cache) = Owned(0);
        Store(cache, "patient-1", 0);
        var failed = cache.Begin([At(1)], [At(1)]);
        failed.Set("patient-1", At(1), Horizon, [Point("uncommitted", 1)]);

        var retry = cache.Begin([At(1)], [At(1)]);

        Assert.True(retry.TryGet("patient-1", At(1), Horizon, out var points));
        Assert.Equal("patient-1-0", Assert.Single(points).ObservationId);
    }

    [Fact]
    public void TryGet_OffsetsSkipped_IsAMissForTheWholePartition()
    {
        var (_, cache) = Owned(0);
        Store(cache, "patient-1", 0, 1);

        // Offsets 2..4 never reached this batch as new (applied elsewhere, dead-lettered, or a commit whose outcome was unknown).
        var next = cache.Begin([At(5)], [At(5)]);

        Assert.False(next.TryGet("patient-1", At(5), Horizon, out _));
    }

    [Fact]
    public void TryGet_BatchHoldsARecordTheInboxHadSeen_IsAMiss()
    {
        var (_, cache) = Owned(0);
        Store(cache, "patient-1", 0);

        // Offset 2 was applied by another consumer: its rows are in the database but not in the cached windows.
        var next = cache.Begin([At(1), At(2)], [At(1)]);

        Assert.False(next.TryGet("patient-1", At(1), Horizon, out _));
    }

    [Fact]
    public void TryGet_AfterTheGapWasRead_HitsAgain()
    {
        var (_, cache) = Owned(0);
        Store(cache, "patient-1", 0);
        var gap = cache.Begin([At(5)], [At(5)]);
        Assert.False(gap.TryGet("patient-1", At(5), Horizon, out _));
        gap.Set("patient-1", At(5), Horizon, [Point("reread", 5)]);
        gap.Commit();

        var next = cache.Begin([At(6)], [At(6)]);

        Assert.True(next.TryGet("patient-1", At(6), Horizon, out var points));
        Assert.Equal("reread", Assert.Single(points).ObservationId);
    }

    [Fact]
    public void TryGet_PartitionReassigned_IsAMiss()
    {
        var (ownership, cache) = Owned(0);
        Store(cache, "patient-1", 0);
        ownership.Revoked(Group, [new TopicPartition(Topic, 0)]);
        ownership.Assigned(Group, [new TopicPartition(Topic, 0)]);

        var next = cache.Begin([At(1)], [At(1)]);

        Assert.False(next.TryGet("patient-1", At(1), Horizon, out _));
    }

    [Fact]
    public void TryGet_PartitionNotOwned_IsAMissAndNothingIsKept()
    {
        var (_, cache) = Owned(1);
        var batch = cache.Begin([At(0)], [At(0)]);
        batch.Set("patient-1", At(0), Horizon, [Point("p", 0)]);
        batch.Commit();

        Assert.Equal(0, cache.Count);
        Assert.False(cache.Begin([At(1)], [At(1)]).TryGet("patient-1", At(1), Horizon, out _));
    }

    [Fact]
    public void TryGet_LongerHorizonThanCached_IsAMiss()
    {
        var (_, cache) = Owned(0);
        Store(cache, "patient-1", 0);

        var next = cache.Begin([At(1)], [At(1)]);

        Assert.False(next.TryGet("patient-1", At(1), Horizon + TimeSpan.FromHours(1), out _));
        Assert.True(next.TryGet("patient-1", At(1), TimeSpan.FromHours(1), out _));
    }

    [Fact]
    public void Merge_AnyBatchSplit_EqualsTheDatabaseWindowOfAllRows()
    {
        // The database's window: rows within the horizon of the entity's newest event time, whatever arrived when.
        var random = new Random(7);
        var rows = Enumerable.Range(0, 300).Select(i => Point($"o{i}", random.NextDouble() * 96 - 48)).ToList();
        for (var split = 1; split <= 60; split += 7)
        {
            IReadOnlyList<ObservationPoint> window = [];
            var seen = new List<ObservationPoint>();
            foreach (var chunk in rows.Chunk(split))
            {
                window = EntityWindowCache.Merge(window, chunk, Horizon);
                seen.AddRange(chunk);
                var newest = seen.Max(p => p.EventTime);
                var expected = seen.Where(p => p.EventTime > newest - Horizon).Select(p => p.ObservationId).Order();
                Assert.Equal(expected, window.Select(p => p.ObservationId).Order());
            }
        }
    }

    [Fact]
    public void Merge_LateRowBehindTheHorizon_IsLeftOutAsTheDatabaseReadLeavesItOut()
    {
        var window = EntityWindowCache.Merge([Point("new", 30)], [Point("late", 5), Point("recent", 10)], Horizon);

        Assert.Equal(["new", "recent"], window.Select(p => p.ObservationId).Order());
    }
}
