using System.Text;
using Mlops.Gateway.Routing;

namespace Mlops.Gateway.Tests.Routing;

public sealed class EntityIdReaderTests
{
    [Theory]
    [InlineData("""{"entityId":"p-1","features":{}}""", InferenceProtocol.Native, "p-1")]
    [InlineData("""{"EntityId":"p-1"}""", InferenceProtocol.Native, "p-1")]
    [InlineData("""{"entityId":42}""", InferenceProtocol.Native, "42")]
    [InlineData("""{"features":{}}""", InferenceProtocol.Native, null)]
    [InlineData("""{"entityId":""}""", InferenceProtocol.Native, null)]
    [InlineData("""{"parameters":{"entity_id":"p-2"},"inputs":[]}""", InferenceProtocol.OpenInference, "p-2")]
    [InlineData("""{"entityId":"p-1"}""", InferenceProtocol.OpenInference, null)]
    [InlineData("""not json""", InferenceProtocol.Native, null)]
    [InlineData("""[1,2]""", InferenceProtocol.Native, null)]
    public void Read_FindsTheEntityOfEachProtocol(string body, InferenceProtocol protocol, string? expected) =>
        Assert.Equal(expected, EntityIdReader.Read(Encoding.UTF8.GetBytes(body), protocol));
}
