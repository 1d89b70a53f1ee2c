using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Mlops.Contracts.Registry;

namespace Mlops.Gateway.Benchmarks;

/// <summary>The registry's <c>GET /api/registry/deployments</c>, answering whatever deployment the scenario sets.</summary>
internal sealed class RegistryStandIn : IAsyncDisposable
{
    readonly WebApplication _app;

    RegistryStandIn(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>The routes of <c>deterioration</c> (empty: the registry lists no deployment).</summary>
    public TrafficRoute[] Routes { get; set; } = [];

    public static async Task<RegistryStandIn> StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var registry = new RegistryStandIn(app, new Uri($"http://127.0.0.1:{port}/"));
        app.MapGet("/api/registry/deployments", () => Results.Json(registry.Routes.Length == 0
            ? []
            : new[] { new { modelName = "deterioration", revision = 1L, routes = registry.Routes } }));
        await app.StartAsync();
        return registry;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
