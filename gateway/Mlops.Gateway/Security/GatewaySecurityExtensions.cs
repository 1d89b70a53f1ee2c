using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.AspNetCore.Authorization;
using Mlops.Gateway.Dashboard;
using Yarp.ReverseProxy.Transforms;

namespace Mlops.Gateway.Security;

/// <summary>Keys, roles and rate limits: what <see cref="GatewayServiceExtensions"/> and Program.cs wire in.</summary>
public static class GatewaySecurityExtensions
{
    /// <summary>Key store and validation, the <c>X-Api-Key</c> scheme, one policy per role, rate limits per key.</summary>
    public static IHostApplicationBuilder AddGatewaySecurity(this IHostApplicationBuilder builder, IReverseProxyBuilder proxy)
    {
        var bootstrap = builder.Configuration[ApiKeyOptions.BootstrapKeySetting];
        if (!string.IsNullOrWhiteSpace(bootstrap) && !ApiKeySecret.TryParse(bootstrap.Trim(), out _, out _))
        {
            throw new InvalidOperationException(
                $"{ApiKeyOptions.BootstrapKeySetting} is set but is not a key in the format {ApiKeySecret.Prefix}<id>_<secret of at least 32 characters>.");
        }

        builder.Services.AddOptions<ApiKeyOptions>().BindConfiguration(ApiKeyOptions.Section)
            .Validate(o => o.CacheDuration >= TimeSpan.Zero && o.CacheDuration <= TimeSpan.FromMinutes(5), "Security:ApiKeys:CacheDuration must be between 0 and 5 minutes (it bounds how long a revoked key still works on other replicas).")
            .Validate(o => o.CacheSize > 0, "Security:ApiKeys:CacheSize must be positive.")
            .ValidateOnStart();
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section)
            .Validate(o => o.TokenLimit > 0 && o.TokensPerPeriod > 0, "Security:RateLimit:TokenLimit and TokensPerPeriod must be positive.")
            .Validate(o => o.ReplenishmentPeriod > TimeSpan.Zero, "Security:RateLimit:ReplenishmentPeriod must be positive.")
            .ValidateOnStart();

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddSingleton<ApiKeyValidator>();
        builder.Services.AddHostedService<BootstrapKeyRegistrar>();

        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization(options =>
        {
            foreach (var (name, roles) in Roles.Policies)
            {
                options.AddPolicy(name, policy =>
                {
                    policy.RequireAuthenticatedUser();
                    if (roles.Length > 0)
                    {
                        policy.RequireRole(roles);
                    }
                });
            }

            // YARP's "Default" policy: any valid key.
            options.DefaultPolicy = options.GetPolicy(Roles.AnyKeyPolicy)!;
        });
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
        builder.Services.AddKeyRateLimiting();

        proxy.AddConfigFilter<RoutePolicyFilter>();
        // Keys stay at the gateway: services behind it never see one.
        proxy.AddTransforms(context => context.AddRequestHeaderRemove(ApiKeyAuthenticationHandler.Header));
        return builder;
    }

    /// <summary>
    /// Authentication, the dashboard session's CSRF check, authorization and the rate limiter, in that order, before
    /// the endpoints run.
    /// </summary>
    public static WebApplication UseGatewaySecurity(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseDashboardCsrfProtection();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapApiKeysApi();
        return app;
    }
}
