using System.Text.Json;
using Mlops.Messaging.Faults;

namespace Mlops.Messaging.Tests.Faults;

public sealed class NamedFaultReasonFilterTests
{
    sealed record Command
    {
        public required string ModelName { get; init; }

        public double LearningRate { get; init; }

        public IReadOnlyDictionary<string, double>? Limits { get; init; }
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

    [Theory]
    [InlineData("""{"modelName": "m", "limits": {"rounds": "many"}}""", "$.limits.rounds")]
    [InlineData("""{"modelName": "m", "limits": [1]}""", "$.limits")]
    public void Reread_EnvelopeWithAMessageOfTheWrongShape_NamesTheMemberBelowTheMessage(string message, string path)
    {
        var envelope = $$"""{"messageId": "{{Guid.NewGuid()}}", "messageType": ["urn:message:{{typeof(Command).Namespace}}:{{nameof(NamedFaultReasonFilterTests)}}+{{nameof(Command)}}"], "message": {{message}}}""";

        var named = NamedFaultReasonFilter.Reread(System.Text.Encoding.UTF8.GetBytes(envelope));

        Assert.NotNull(named);
        Assert.Equal(path, named.Path);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("""{"messageType": ["urn:message:Nowhere:Unknown"], "message": {"modelName": 1}}""")]
    [InlineData("""{"message": {"modelName": 1}}""")]
    public void Reread_BodyThatIsNoEnvelopeOfAKnownType_LeavesTheFaultAsItIs(string body) =>
        Assert.Null(NamedFaultReasonFilter.Reread(System.Text.Encoding.UTF8.GetBytes(body)));

    [Theory]
    [InlineData("""{"messageType": ["urn:message:A:B"]}""", true)]
    [InlineData("""{"messageType": ["urn:message:A:B"], "message": null}""", false)]
    [InlineData("""[1, 2]""", false)]
    [InlineData("""not json""", false)]
    public void LacksMessage_EnvelopeWithoutItsMessageMember_IsTold(string body, bool lacks) =>
        Assert.Equal(lacks, NamedFaultReasonFilter.LacksMessage(System.Text.Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void Unreadable_FaultOfAHandler_IsLeftAsMassTransitDescribesIt() =>
        Assert.Null(NamedFaultReasonFilter.Unreadable(new InvalidOperationException("the registry refused the version")));
}
