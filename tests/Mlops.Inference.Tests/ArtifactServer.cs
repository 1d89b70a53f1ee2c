using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Mlops.Inference.Tests;

/// <summary>
/// The registry's artifact endpoint as the inference service calls it (<c>GET /api/registry/artifacts/{sha256}</c>),
/// on a free loopback port, serving whatever bytes the test puts under an address (tampered ones included).
/// </summary>
public sealed class ArtifactServer : IAsyncDisposable
{
    readonly ConcurrentDictionary<string, byte[]> _artifacts = new(StringComparer.OrdinalIgnoreCase);
    readonly WebApplication _app;

    ArtifactServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<ArtifactServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new ArtifactServer(app);
        app.MapGet("/api/registry/artifacts/{sha256}", (string sha256) =>
            server._artifacts.TryGetValue(sha256, out var bytes) ? Results.Bytes(bytes, "application/octet-stream") : Results.NotFound());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server.BaseAddress = new Uri(address + "/");
        return server;
    }

    public void Serve(string sha256, byte[] bytes) => _artifacts[sha256] = bytes;

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
