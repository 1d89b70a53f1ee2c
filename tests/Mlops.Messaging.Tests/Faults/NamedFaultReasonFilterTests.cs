using System.Text.Json;
using Mlops.Messaging.Faults;

namespace Mlops.Messaging.Tests.Faults;

public sealed class NamedFaultReasonFilterTests
{
    sealed record Command
    {
        public required string ModelName { get; init; }

        public double LearningRate { get; init; }
    }

    static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Theory]
    [InlineData("""{"modelName": 42}""", "$.modelName")]
    [InlineData("""{"modelName": ["a"]}""", "$.modelName")]
    [InlineData("""{"modelName": "m", "learningRate": "fast"}""", "$.learningRate")]
    public void Unreadable_BodyOfTheWrongShape_NamesTheMemberWhereTheInnermostExceptionDoesNot(string body, string path)
    {
        var exception = Assert.ThrowsAny<Exception>(() => JsonSerializer.Deserialize<Command>(body, Web));
        var wrapped = new InvalidOperationException("An exception occurred while deserializing the message", exception);

        var named = NamedFaultReasonFilter.Unreadable(wrapped);

        Assert.NotNull(named);
        Assert.Equal(path, named.Path);
        Assert.Contains(path, named.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(path, wrapped.GetBaseException().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unreadable_FaultOfAHandler_IsLeftAsMassTransitDescribesIt() =>
        Assert.Null(NamedFaultReasonFilter.Unreadable(new InvalidOperationException("the registry refused the version")));
}
