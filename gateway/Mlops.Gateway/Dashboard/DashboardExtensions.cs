using Yarp.ReverseProxy.Transforms;

namespace Mlops.Gateway.Dashboard;

/// <summary>The operations dashboard: sign-in, CSRF checks, live feed, and the static page (docs/dashboard.md).</summary>
public static class DashboardExtensions
{
    public static IHostApplicationBuilder AddDashboard(this IHostApplicationBuilder builder, IReverseProxyBuilder proxy)
    {
        builder.Services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.Section)
            .Validate(DashboardOptions.IsValid, "Gateway:Dashboard: PollInterval must lie between 00:00:00.5 and 00:05:00, Timeout between 0 and 1 minute")
            .ValidateOnStart();
        builder.Services.AddHttpClient(DashboardFeed.HttpClientName);
        builder.Services.AddSingleton<DashboardFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DashboardFeed>());
        // The session cookie holds a key, and keys stay at the gateway: services behind it never see a cookie.
        proxy.AddTransforms(context => context.AddRequestHeaderRemove("Cookie"));
        return builder;
    }

    /// <summary>After authentication (the CSRF check needs to know how the key came), before authorization.</summary>
    public static WebApplication UseDashboardCsrfProtection(this WebApplication app)
    {
        app.UseMiddleware<CsrfProtectionMiddleware>();
        return app;
    }

    public static WebApplication MapDashboardEndpoints(this WebApplication app)
    {
        app.MapSessionApi();
        app.MapDashboardApi();
        app.MapDashboard();
        return app;
    }
}
