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
}
