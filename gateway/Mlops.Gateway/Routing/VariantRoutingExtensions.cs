using Mlops.Gateway.Shadow;
using Mlops.ServiceDefaults.Health;
using Yarp.ReverseProxy;

namespace Mlops.Gateway.Routing;

/// <summary>Wiring of the variant router and shadow traffic.</summary>
public static class VariantRoutingExtensions
{
    /// <summary>Options, the deployment table and its followers (registry list at start, <c>DeploymentChanged</c> after), the shadow queue and workers.</summary>
    public static IHostApplicationBuilder AddVariantRouting(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<VariantRoutingOptions>().BindConfiguration(VariantRoutingOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.MaxRetryDelay > TimeSpan.Zero && o.ResyncInterval > TimeSpan.Zero, "Gateway:Variants:MaxRetryDelay and ResyncInterval must be positive")
            .ValidateOnStart();
        services.AddOptions<ShadowOptions>().BindConfiguration(ShadowOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.Timeout > TimeSpan.Zero, "Gateway:Shadow:Timeout must be positive")
            .ValidateOnStart();

        services.AddSingleton<DeploymentTable>();
        services.AddSingleton<GatewayReplica>();
        services.AddHttpClient<RegistryDeploymentsClient>((provider, http) =>
        {
            http.BaseAddress = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<VariantRoutingOptions>>().Value.RegistryBaseAddress;
            http.Timeout = TimeSpan.FromSeconds(10);
        });
        services.AddSingleton<DeploymentBootstrapper>();
        services.AddHostedService(provider => provider.GetRequiredService<DeploymentBootstrapper>());
        services.AddHealthChecks().AddCheck<DeploymentBootstrapper>("registry-deployments", tags: [HealthTags.Ready]);

        services.AddSingleton<ShadowComparisons>();
        services.AddSingleton<ShadowQueue>();
        services.AddHostedService<ShadowForwarder>();
        return builder;
    }

    /// <summary>
    /// The proxy pipeline: variant routing and shadow capture first, then YARP's own steps (session affinity, load
    /// balancing over the chosen cluster, passive health checks).
    /// </summary>
    public static void UseVariantRouting(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<VariantRoutingMiddleware>();
        proxy.UseMiddleware<ShadowMirroringMiddleware>();
        proxy.UseSessionAffinity();
        proxy.UseLoadBalancing();
        proxy.UsePassiveHealthChecks();
    }
}
