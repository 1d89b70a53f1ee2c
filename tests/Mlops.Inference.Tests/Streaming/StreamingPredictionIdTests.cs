using Mlops.Inference.Streaming;

namespace Mlops.Inference.Tests.Streaming;

public sealed class StreamingPredictionIdTests
{
    [Fact]
    public void For_SameEventAndModelVersion_SameId()
    {
        Assert.Equal(StreamingPredictionId.For("event-1", "deterioration", "3"), StreamingPredictionId.For("event-1", "deterioration", "3"));
    }

    [Theory]
    [InlineData("event-2", "deterioration", "3")]
    [InlineData("event-1", "sepsis", "3")]
    [InlineData("event-1", "deterioration", "4")]
    public void For_AnyPartDiffers_DifferentId(string featureEvent, string model, string version)
    {
        Assert.NotEqual(StreamingPredictionId.For("event-1", "deterioration", "3"), StreamingPredictionId.For(featureEvent, model, version));
    }

    [Fact]
    public void For_IsAGuidOfTheCustomVersionAndRfcVariant()
    {
        var id = Guid.Parse(StreamingPredictionId.For("event-1", "deterioration", "3"));
        Assert.Equal(8, id.Version);
        Assert.Equal(0b10, id.Variant >> 2);
    }

    [Fact]
    public void For_KnownParts_SameIdAsIssuedBefore()
    {
        // SHA-256 of "event-1\ndeterioration\n3", computed outside .NET: ids already on predictions.v1 must not change.
        Assert.Equal("55d634d8-5d9b-8ca9-9b0c-3380e9b46115", StreamingPredictionId.For("event-1", "deterioration", "3"));
    }
}
