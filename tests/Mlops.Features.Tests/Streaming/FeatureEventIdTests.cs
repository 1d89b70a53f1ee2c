using Mlops.Features.Storage;
using Mlops.Features.Streaming;

namespace Mlops.Features.Tests.Streaming;

public sealed class FeatureEventIdTests
{
    static readonly DateTimeOffset EventTime = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

    static StoredVector Vector(string entity = "p-1", string set = "vitals-v1", string? trigger = "obs-1", DateTimeOffset? eventTime = null) =>
        new(entity, set, eventTime ?? EventTime, DateTimeOffset.UtcNow, new Dictionary<string, double?> { ["hr_mean"] = 80 }, trigger);

    [Fact]
    public void Of_SameComputationComputedAgainLater_SameId()
    {
        var again = Vector() with { ComputedAt = DateTimeOffset.UtcNow.AddMinutes(5) };

        Assert.Equal(FeatureEventId.Of(Vector()), FeatureEventId.Of(again));
    }

    [Fact]
    public void Of_SameInstantInAnotherOffset_SameId()
    {
        Assert.Equal(FeatureEventId.Of(Vector()), FeatureEventId.Of(Vector(eventTime: EventTime.ToOffset(TimeSpan.FromHours(2)))));
    }

    [Theory]
    [InlineData("p-2", "vitals-v1", "obs-1", 0)]
    [InlineData("p-1", "vitals-v2", "obs-1", 0)]
    [InlineData("p-1", "vitals-v1", "obs-2", 0)]
    [InlineData("p-1", "vitals-v1", null, 0)]
    [InlineData("p-1", "vitals-v1", "obs-1", 1)]
    public void Of_AnyPartDiffers_DifferentId(string entity, string set, string? trigger, int ticksLater)
    {
        Assert.NotEqual(FeatureEventId.Of(Vector()), FeatureEventId.Of(Vector(entity, set, trigger, EventTime.AddTicks(ticksLater))));
    }

    [Fact]
    public void Of_IsAGuid()
    {
        Assert.Equal(8, Guid.Parse(FeatureEventId.Of(Vector())).Version);
    }
}
