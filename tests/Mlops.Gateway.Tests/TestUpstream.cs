using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mlops.Testing;

namespace Mlops.Gateway.Tests;

/// <summary>
/// A stand-in for every service behind the gateway: a real HTTP server on a loopback port that answers any request
/// with 200 and what it received (method, path, whether an API key or a cookie reached it), so a test sees what the gateway forwarded.
/// </summary>
public sealed class TestUpstream : IAsyncDisposable
{
    readonly WebApplication _app;

    TestUpstream(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<TestUpstream> StartAsync()
    {
        var port = ServiceProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(context => context.Response.WriteAsJsonAsync(new
        {
            method = context.Request.Method,
            path = context.Request.Path.Value,
            apiKeyForwarded = context.Request.Headers.ContainsKey("X-Api-Key"),
            cookieForwarded = context.Request.Headers.ContainsKey("Cookie"),
        }));
        await app.StartAsync();
        return new TestUpstream(app, new Uri($"http://127.0.0.1:{port}/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
