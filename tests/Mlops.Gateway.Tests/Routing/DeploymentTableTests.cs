using Mlops.Contracts.Registry;
using Mlops.Gateway.Routing;
using static Mlops.Gateway.Tests.Routes;

namespace Mlops.Gateway.Tests.Routing;

public sealed class DeploymentTableTests
{
    [Fact]
    public void Apply_RevisionNotNewer_IsIgnored()
    {
        var table = new DeploymentTable();
        Assert.True(table.Apply("m", 5, Canary(10)));
        Assert.False(table.Apply("m", 5, Canary(50)));
        Assert.False(table.Apply("m", 4, Canary(50)));
        Assert.Equal(10, table.Find("m")!.Find(ModelAliases.Challenger)!.TrafficPercent);
        Assert.True(table.Apply("m", 6, Canary(50)));
        Assert.Equal(50, table.Find("m")!.Find(ModelAliases.Challenger)!.TrafficPercent);
    }

    [Fact]
    public void NeedsEntity_OnlyForASplitOrAMirror()
    {
        var table = new DeploymentTable();
        table.Apply("single", 1, [Route(ModelAliases.Champion, "1", 100)]);
        table.Apply("split", 1, Canary(10));
        table.Apply("mirrored", 1, [Route(ModelAliases.Champion, "1", 100), Route(ModelAliases.Shadow, "2", 0, mirror: 5)]);
        Assert.False(table.Find("single")!.NeedsEntity);
        Assert.True(table.Find("split")!.NeedsEntity);
        Assert.True(table.Find("mirrored")!.NeedsEntity);
    }
}
