using Yarp.ReverseProxy.Configuration;

namespace Mlops.Gateway.Security;

/// <summary>
/// Every <c>ReverseProxy</c> route must say which roles it needs: a route without an <c>AuthorizationPolicy</c>, or with
/// one the gateway does not define, stops the configuration from loading (at start, or on reload) instead of being
/// forwarded open. <c>Anonymous</c> must be written out.
/// </summary>
public sealed class RoutePolicyFilter : IProxyConfigFilter
{
    public const string Anonymous = "Anonymous";

    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel) => ValueTask.FromResult(cluster);

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel)
    {
        var policy = route.AuthorizationPolicy;
        if (string.IsNullOrWhiteSpace(policy))
        {
            throw new InvalidOperationException(
                $"ReverseProxy route '{route.RouteId}' has no AuthorizationPolicy; every route must name one of {Known} (docs/security.md).");
        }

        if (!string.Equals(policy, Anonymous, StringComparison.OrdinalIgnoreCase) && !Roles.Policies.ContainsKey(policy))
        {
            throw new InvalidOperationException(
                $"ReverseProxy route '{route.RouteId}' names AuthorizationPolicy '{policy}', which the gateway does not define; use one of {Known}.");
        }

        return ValueTask.FromResult(route);
    }

    static string Known => string.Join(", ", Roles.Policies.Keys.Append(Anonymous));
}
