using Confluent.Kafka;
using Microsoft.Extensions.Options;
using Mlops.Features.Computation;
using Mlops.Features.Storage;
using Mlops.Kafka.Consuming;

namespace Mlops.Features.Tests.Storage;

/// <summary>
/// The streaming computation's entity windows held between batches: used only under the assignment they were built
/// in, only once their batch committed, and cut exactly as the database query cuts them.
/// </summary>
public sealed class EntityWindowCacheTests
{
    const string Group = "features";
    const string Topic = "observations.v1";
    static readonly TimeSpan Horizon = TimeSpan.FromHours(6);
    static readonly DateTimeOffset T0 = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    readonly KafkaPartitionOwnership _ownership = new();

    static KafkaMessageContext Context(int partition) => new() { Topic = Topic, Partition = partition, Offset = 1, ConsumerGroup = Group, Attempt = 1 };

    static ObservationPoint Point(string id, double hours) => new(id, "heart_rate", 90, T0.AddHours(hours), T0.AddHours(hours));

    EntityWindowCache Cache(bool enabled = true, int maxEntities = 100) =>
        new(_ownership, Options.Create(new EntityWindowOptions { Enabled = enabled, MaxEntities = maxEntities }));

    void Assign(params int[] partitions) => _ownership.Assigned(Group, partitions.Select(p => new TopicPartition(Topic, p)));

    static void Batch(EntityWindowCache cache, string entity, KafkaMessageContext context, long epoch, params ObservationPoint[] points)
    {
        cache.BeginBatch();
        cache.Hold([new EntityWindowCache.Pending(entity, context, epoch, Horizon, points)]);
    }

    [Fact]
    public void Find_AfterTheBatchCommitted_GivesTheWindow_AndNothingBefore()
    {
        Assign(0);
        var cache = Cache();
        var epoch = cache.EpochOf(Context(0))!.Value;

        Batch(cache, "p1", Context(0), epoch, Point("a", 0));
        Assert.Null(cache.Find("p1", Context(0), Horizon));

        cache.Commit();
        Assert.Equal(["a"], cache.Find("p1", Context(0), Horizon)!.Select(p => p.ObservationId));
    }

    [Fact]
    public void Find_PartitionReassignedOrRevoked_Misses()
    {
        Assign(0, 1);
        var cache = Cache();
        var epoch = cache.EpochOf(Context(0))!.Value;
        Batch(cache, "p1", Context(0), epoch, Point("a", 0));
        cache.Commit();

        // A rebalance hands partition 0 out again (maybe after another replica held it): a new epoch.
        Assign(0);
        Assert.Null(cache.Find("p1", Context(0), Horizon));

        var again = cache.EpochOf(Context(0))!.Value;
        Batch(cache, "p1", Context(0), again, Point("a", 0), Point("b", 1));
        cache.Commit();
        Assert.NotNull(cache.Find("p1", Context(0), Horizon));
        _ownership.Revoked(Group, [new TopicPartition(Topic, 0)]);
        Assert.Null(cache.Find("p1", Context(0), Horizon));
    }

    [Fact]
    public void Commit_ReassignedWhileTheBatchRan_IsNotHeld()
    {
        Assign(0);
        var cache = Cache();
        var epoch = cache.EpochOf(Context(0))!.Value;
        Batch(cache, "p1", Context(0), epoch, Point("a", 0));

        Assign(0);
        cache.Commit();

        Assert.Null(cache.Find("p1", Context(0), Horizon));
    }

    [Fact]
    public void BeginBatch_PreviousBatchNeverConfirmed_DropsItsEntities()
    {
        Assign(0);
        var cache = Cache();
        var epoch = cache.EpochOf(Context(0))!.Value;
        Batch(cache, "p1", Context(0), epoch, Point("a", 0));
        cache.Commit();
        // The next batch of p1 computed a window, but its commit failed or its outcome was not known.
        Batch(cache, "p1", Context(0), epoch, Point("a", 0), Point("b", 1));

        cache.BeginBatch();

        Assert.Null(cache.Find("p1", Context(0), Horizon));
    }

    [Fact]
    public void Find_OtherHorizonOrDisabled_Misses()
    {
        Assign(0);
        var cache = Cache();
        var disabled = Cache(enabled: false);
        var epoch = cache.EpochOf(Context(0))!.Value;
        Batch(cache, "p1", Context(0), epoch, Point("a", 0));
        cache.Commit();
        Batch(disabled, "p1", Context(0), epoch, Point("a", 0));
        disabled.Commit();

        Assert.Null(cache.Find("p1", Context(0), Horizon + TimeSpan.FromHours(1)));
        Assert.Null(disabled.Find("p1", Context(0), Horizon));
    }

    [Fact]
    public void Store_PastMaxEntities_StartsOver()
    {
        Assign(0);
        var cache = Cache(maxEntities: 2);
        var epoch = cache.EpochOf(Context(0))!.Value;
        foreach (var entity in new[] { "p1", "p2", "p3" })
        {
            Batch(cache, entity, Context(0), epoch, Point("a-" + entity, 0));
            cache.Commit();
        }

        Assert.Equal(1, cache.Count);
        Assert.NotNull(cache.Find("p3", Context(0), Horizon));
    }

    [Fact]
    public void Extend_NewerObservation_CutsTheWindowToTheHorizonOfTheNewest()
    {
        // The database keeps rows with event time > newest − horizon: exactly 6 h before is out, just after is in.
        var window = new List<ObservationPoint> { Point("old", 0), Point("edge", 1), Point("mid", 3) };

        var extended = EntityWindowCache.Extend(window, [Point("new", 7)], Horizon);

        Assert.Equal(["mid", "new"], extended.Select(p => p.ObservationId));
    }

    [Fact]
    public void Extend_LateObservation_KeepsTheNewestAndTakesItOnlyInsideTheHorizon()
    {
        var window = new List<ObservationPoint> { Point("a", 5), Point("b", 10) };

        var inside = EntityWindowCache.Extend(window, [Point("late", 6)], Horizon);
        var outside = EntityWindowCache.Extend(window, [Point("too-late", 3)], Horizon);

        Assert.Equal(["a", "b", "late"], inside.Select(p => p.ObservationId));
        Assert.Equal(["a", "b"], outside.Select(p => p.ObservationId));
    }
}
