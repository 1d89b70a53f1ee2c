using Mlops.Gateway.Security;
using Yarp.ReverseProxy.Configuration;

namespace Mlops.Gateway.Tests.Security;

public sealed class RoutePolicyFilterTests
{
    readonly RoutePolicyFilter _filter = new();

    [Fact]
    public async Task Route_WithoutPolicy_RefusedNamingTheRoute()
    {
        var route = new RouteConfig { RouteId = "open-door", ClusterId = "x", Match = new RouteMatch { Path = "/api/x/{**catch-all}" } };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _filter.ConfigureRouteAsync(route, null, CancellationToken.None).AsTask());

        Assert.Contains("'open-door' has no AuthorizationPolicy", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Route_UnknownPolicy_Refused()
    {
        var route = new RouteConfig { RouteId = "typo", ClusterId = "x", AuthorizationPolicy = "operator", Match = new RouteMatch { Path = "/x" } };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _filter.ConfigureRouteAsync(route, null, CancellationToken.None).AsTask());

        Assert.Contains("'operator'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("operate")]
    [InlineData("any-key")]
    [InlineData("Anonymous")]
    public async Task Route_KnownPolicy_Kept(string policy)
    {
        var route = new RouteConfig { RouteId = "ok", ClusterId = "x", AuthorizationPolicy = policy, Match = new RouteMatch { Path = "/x" } };

        Assert.Same(route, await _filter.ConfigureRouteAsync(route, null, CancellationToken.None));
    }
}
