using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mlops.Gateway.Dashboard;
using Mlops.Gateway.Experiments;
using Mlops.Gateway.Routing;
using Mlops.Gateway.Security;
using Mlops.Messaging;
using Mlops.ServiceDefaults;

namespace Mlops.Gateway;

/// <summary>Registers what the gateway needs.</summary>
internal static class GatewayServiceExtensions
{
    /// <summary>The gateway's own endpoints' OpenAPI document, <c>/openapi/gateway.json</c>.</summary>
    public const string GatewayDocument = "gateway";

    /// <summary>
    /// Routes from the <c>ReverseProxy</c> configuration section (one cluster per service, addresses overridable
    /// per environment), its own database, and the bus on which deployment changes will arrive.
    /// </summary>
    public static IHostApplicationBuilder AddGatewayServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformPostgres("gateway");
        builder.AddPlatformMessaging(bus => bus.AddConsumer<DeploymentChangedConsumer, DeploymentChangedConsumerDefinition>());
        var proxy = builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
        // Keys, roles, rate limits (Security/, docs/security.md).
        builder.AddGatewaySecurity(proxy);
        // The operations dashboard at / (Dashboard/, docs/dashboard.md).
        builder.AddDashboard(proxy);
        builder.Services.AddSingleton<ExperimentStore>();
        builder.Services.AddHostedService<ExperimentStoreInitializer>();
        // A/B outcomes counted by monitoring's delayed-label join (Experiments/, docs/rollouts.md).
        builder.Services.AddOptions<ExperimentOutcomeOptions>().BindConfiguration(ExperimentOutcomeOptions.Section)
            .Validate(ExperimentOutcomeOptions.IsValid, "Gateway:Experiments: Interval, Timeout and MaxAge (≤ 31 days) must be positive, MonitoringAddress an absolute URI")
            .ValidateOnStart();
        builder.Services.AddHttpClient<MonitoringOutcomeClient>(http => http.Timeout = Timeout.InfiniteTimeSpan);
        builder.Services.AddSingleton<ExperimentOutcomeFeeder>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ExperimentOutcomeFeeder>());
        builder.Services.TryAddSingleton(TimeProvider.System);

        // Variant routing and shadow traffic (Routing/, Shadow/; docs/gateway.md), and the gateway's own OpenAPI document.
        builder.AddVariantRouting();
        builder.Services.AddOpenApi(GatewayDocument);
        return builder;
    }
}
