using Mlops.ServiceDefaults;
using Mlops.Messaging;

namespace Mlops.Registry;

/// <summary>Registers what the registry service needs.</summary>
internal static class RegistryServiceExtensions
{
    /// <summary>The registry service's dependencies; readiness follows them.</summary>
    public static IHostApplicationBuilder AddRegistryServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformPostgres("registry");
        builder.AddPlatformMessaging();
        return builder;
    }
}
