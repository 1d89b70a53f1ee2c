using System.Reflection;
using Mlops.Contracts.Kafka;
using Mlops.Testing.Infrastructure;

namespace Mlops.Testing.Tests.Infrastructure;

public class TopicListTests
{
    [Fact]
    public void TopicsFile_ListsExactlyTheContractTopics()
    {
        var contract = typeof(Topics).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Order(StringComparer.Ordinal)
            .ToList();

        var file = PlatformTopics.Read(PlatformInfrastructure.RepositoryRoot);

        Assert.NotEmpty(contract);
        Assert.Equal(file.Count, file.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(contract, file.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Parse_CommentsAndBlankLines_Dropped() =>
        Assert.Equal(["a.v1", "b.v1"], PlatformTopics.Parse(["# header", "", "a.v1", "  b.v1  # trailing", "   "]));
}
