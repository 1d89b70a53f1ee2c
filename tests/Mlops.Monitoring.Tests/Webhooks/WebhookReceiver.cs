using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Mlops.Monitoring.Webhooks;
using Mlops.Testing;

namespace Mlops.Monitoring.Tests.Webhooks;

/// <summary>
/// Webhook receivers on a free loopback port: <c>/verify</c> checks the signature and timestamp (401 when wrong),
/// <c>/flaky</c> answers 503 twice then 200, <c>/refuse</c> answers 400.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public const string Secret = "receiver-secret-0123456789";

    readonly WebApplication _app;
    int _flakyCalls;

    WebhookReceiver(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Bodies /verify accepted with a valid signature.</summary>
    public ConcurrentQueue<string> Verified { get; } = new();

    /// <summary>Requests /verify refused for a bad signature.</summary>
    public int Forged;

    public int FlakyCalls => _flakyCalls;

    public int Refused;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var app = LoopbackApp.Create();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/verify", async (HttpRequest request) =>
        {
            var body = await new StreamReader(request.Body).ReadToEndAsync();
            var timestamp = long.Parse(request.Headers[WebhookSignature.TimestampHeader].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            var fresh = Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - timestamp) < 300;
            if (!fresh || !WebhookSignature.Verify(Secret, timestamp, body, request.Headers[WebhookSignature.SignatureHeader].ToString()))
            {
                Interlocked.Increment(ref receiver.Forged);
                return Results.StatusCode(401);
            }

            receiver.Verified.Enqueue(body);
            return Results.Ok();
        });
        app.MapPost("/flaky", () => Interlocked.Increment(ref receiver._flakyCalls) <= 2 ? Results.StatusCode(503) : Results.Ok());
        app.MapPost("/refuse", () =>
        {
            Interlocked.Increment(ref receiver.Refused);
            return Results.BadRequest();
        });
        receiver.BaseAddress = await app.StartLoopbackAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
