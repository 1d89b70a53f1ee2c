using Mlops.Gateway.Security;
using Mlops.Messaging;
using Mlops.ServiceDefaults;

namespace Mlops.Gateway;

/// <summary>Registers what the gateway needs.</summary>
internal static class GatewayServiceExtensions
{
    /// <summary>
    /// Routes from the <c>ReverseProxy</c> configuration section (one cluster per service, addresses overridable
    /// per environment), its own database, and the bus on which deployment changes will arrive.
    /// </summary>
    public static IHostApplicationBuilder AddGatewayServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformPostgres("gateway");
        builder.AddPlatformMessaging();
        var proxy = builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
        // Keys, roles, rate limits (Security/, docs/security.md).
        builder.AddGatewaySecurity(proxy);
        return builder;
    }
}
