using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Mlops.Contracts.Registry;
using Mlops.Gateway.Routing;

namespace Mlops.Gateway.Tests;

/// <summary>The registry's <c>GET /api/registry/deployments</c> as the gateway reads it, on a given port.</summary>
public sealed class RegistryStandIn : IAsyncDisposable
{
    readonly WebApplication _app;

    RegistryStandIn(WebApplication app) => _app = app;

    public List<RegistryDeployment> Deployments { get; } = [];

    public static async Task<RegistryStandIn> StartAsync(int port, params RegistryDeployment[] deployments)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var registry = new RegistryStandIn(app);
        registry.Deployments.AddRange(deployments);
        app.MapGet("/api/registry/deployments", () => Results.Json(registry.Deployments.ToList()));
        await app.StartAsync();
        return registry;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Routes as the registry publishes them.</summary>
public static class Routes
{
    public static TrafficRoute Route(string alias, string version, int percent, int mirror = 0) =>
        new() { Alias = alias, Version = version, ArtifactSha256 = new string('a', 64), TrafficPercent = percent, MirrorPercent = mirror };

    public static TrafficRoute[] Canary(int canaryPercent) =>
        [Route(ModelAliases.Champion, "1", 100 - canaryPercent), Route(ModelAliases.Challenger, "2", canaryPercent)];
}
