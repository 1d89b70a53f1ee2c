using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Mlops.Testing;

namespace Mlops.EndToEnd.Tests.Dashboard;

/// <summary>
/// What a team's alert endpoint is to monitoring: <c>POST /alerts</c> on a free loopback port answers 200 and keeps
/// every body. Signatures are monitoring's own tests' concern (<c>Mlops.Monitoring.Tests</c> WebhookReceiver); here only
/// that the alert arrived and that the dashboard shows its delivery.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    readonly WebApplication _app;

    WebhookReceiver(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public ConcurrentQueue<string> Received { get; } = new();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var app = LoopbackApp.Create(quiet: true);
        var receiver = new WebhookReceiver(app);
        app.MapPost("/alerts", async (HttpRequest request) =>
        {
            receiver.Received.Enqueue(await new StreamReader(request.Body).ReadToEndAsync());
            return Results.Ok();
        });
        receiver.Url = new Uri(await app.StartLoopbackAsync(), "alerts");
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
