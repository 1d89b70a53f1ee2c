using Microsoft.Extensions.DependencyInjection.Extensions;
using Mlops.Gateway.Experiments;
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
        builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
        builder.Services.AddSingleton<ExperimentStore>();
        builder.Services.AddHostedService<ExperimentStoreInitializer>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>Creates the experiment tables before the first request needs them.</summary>
    sealed class ExperimentStoreInitializer(ExperimentStore store) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => store.EnsureSchemaAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
