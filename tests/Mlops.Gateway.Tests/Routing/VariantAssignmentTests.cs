using Mlops.Contracts.Registry;
using static Mlops.Gateway.Tests.Routes;

namespace Mlops.Gateway.Tests.Routing;

/// <summary>The shared assignment rule (contracts) on 10,000 entities.</summary>
public sealed class VariantAssignmentTests
{
    const string Model = "deterioration";
    static readonly string[] Entities = [.. Enumerable.Range(0, 10_000).Select(i => $"patient-{i}")];

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(10)]
    [InlineData(25)]
    [InlineData(50)]
    [InlineData(90)]
    public void Assign_TenThousandEntities_ShareWithinOnePointOfWeight(int canaryPercent)
    {
        var routes = Canary(canaryPercent);
        var canary = Entities.Count(e => VariantAssignment.Assign(Model, e, routes)!.Alias == ModelAliases.Challenger);
        Assert.InRange(100.0 * canary / Entities.Length, canaryPercent - 1, canaryPercent + 1);
    }

    [Fact]
    public void Assign_RaisingWeight_MovesOnlyChampionEntitiesToCanary()
    {
        int[] steps = [0, 1, 5, 10, 25, 50, 100];
        for (var i = 1; i < steps.Length; i++)
        {
            var before = Canary(steps[i - 1]);
            var after = Canary(steps[i]);
            foreach (var entity in Entities)
            {
                var was = VariantAssignment.Assign(Model, entity, before)!.Alias;
                var now = VariantAssignment.Assign(Model, entity, after)!.Alias;
                Assert.False(was == ModelAliases.Challenger && now == ModelAliases.Champion, $"{entity} moved back to the champion at {steps[i]} %");
            }

            var moved = Entities.Count(e => VariantAssignment.Assign(Model, e, before)!.Alias != VariantAssignment.Assign(Model, e, after)!.Alias);
            Assert.InRange(100.0 * moved / Entities.Length, steps[i] - steps[i - 1] - 1, steps[i] - steps[i - 1] + 1);
        }
    }

    [Fact]
    public void Bucket_IsPinned_SoEveryProcessAndReleaseAgrees()
    {
        // Computed once and written down: a change to the hash would move every entity in every running rollout.
        Assert.Equal(ExpectedBucket, VariantAssignment.Bucket(Model, "patient-42"));
        Assert.NotEqual(VariantAssignment.Bucket(Model, "patient-42"), VariantAssignment.Bucket("other-model", "patient-42"));
    }

    [Fact]
    public void Mirrors_SampleIsIndependentOfTheServingSplit()
    {
        var routes = Canary(10);
        var shadow = Route(ModelAliases.Shadow, "3", 0, mirror: 10);
        var canary = Entities.Where(e => VariantAssignment.Assign(Model, e, routes)!.Alias == ModelAliases.Challenger).ToList();
        var champion = Entities.Except(canary).ToList();

        // Each variant's entities are mirrored at the mirror share, so the shadow is compared with both.
        Assert.InRange(100.0 * canary.Count(e => VariantAssignment.Mirrors(Model, e, shadow)) / canary.Count, 7, 13);
        Assert.InRange(100.0 * champion.Count(e => VariantAssignment.Mirrors(Model, e, shadow)) / champion.Count, 9, 11);
        Assert.InRange(100.0 * Entities.Count(e => VariantAssignment.Mirrors(Model, e, shadow)) / Entities.Length, 9, 11);
    }

    [Fact]
    public void Mirrors_FullShare_MirrorsEveryEntity_AndNoShareNone()
    {
        Assert.All(Entities, e => Assert.True(VariantAssignment.Mirrors(Model, e, Route(ModelAliases.Shadow, "3", 0, mirror: 100))));
        Assert.All(Entities, e => Assert.False(VariantAssignment.Mirrors(Model, e, Route(ModelAliases.Shadow, "3", 0, mirror: 0))));
    }

    // Also reproduced by an independent FNV-1a 64 + mix implementation (docs/gateway.md).
    const int ExpectedBucket = 9894;
}
