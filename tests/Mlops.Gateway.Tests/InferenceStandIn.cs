using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Mlops.Testing;

namespace Mlops.Gateway.Tests;

/// <summary>
/// Stands in for an inference pod on a free loopback port (the gateway is the subject): records every request it gets
/// and answers like the service — the variant it was asked for (<c>X-Model-Variant</c>), a fixed probability and
/// version per variant, in the service's JSON or the Open Inference Protocol's. A variant can be held (answers wait
/// until released) to play a slow shadow.
/// </summary>
public sealed class InferenceStandIn : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly ConcurrentDictionary<string, TaskCompletionSource> _held = new(StringComparer.Ordinal);

    InferenceStandIn(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public ConcurrentQueue<ReceivedRequest> Received { get; } = new();

    /// <summary>Probability answered per variant (0.5 for any other).</summary>
    public ConcurrentDictionary<string, double> Probabilities { get; } = new(StringComparer.Ordinal);

    public static async Task<InferenceStandIn> StartAsync(int port = 0)
    {
        var app = LoopbackApp.Create(port, quiet: true);
        var standIn = new InferenceStandIn(app);
        app.MapGet("/health/ready", () => Results.Ok());
        app.MapPost("/{**path}", (Delegate)standIn.AnswerAsync);
        standIn.BaseAddress = await app.StartLoopbackAsync();
        return standIn;
    }

    /// <summary>Answers of <paramref name="variant"/> wait until <see cref="Release"/>.</summary>
    public void Hold(string variant) => _held[variant] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release(string variant)
    {
        if (_held.TryRemove(variant, out var gate))
        {
            gate.TrySetResult();
        }
    }

    public IReadOnlyList<ReceivedRequest> Of(string variant) => [.. Received.Where(r => r.Variant == variant)];

    public static string VersionOf(string? variant) => variant switch
    {
        "champion" => "1",
        "challenger" => "2",
        "shadow" => "3",
        _ => "0",
    };

    async Task<IResult> AnswerAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var variant = context.Request.Headers["X-Model-Variant"].ToString() is { Length: > 0 } v ? v : null;
        Received.Enqueue(new ReceivedRequest(context.Request.Path.Value!, variant, context.Request.Headers["X-Entity-Id"].ToString(), body));
        if (variant is not null && _held.TryGetValue(variant, out var gate))
        {
            await gate.Task;
        }

        var probability = variant is not null && Probabilities.TryGetValue(variant, out var p) ? p : 0.5;
        var version = VersionOf(variant);
        context.Response.Headers["X-Model-Version"] = version;
        if (context.Request.Path.StartsWithSegments("/v2", StringComparison.Ordinal))
        {
            var rows = JsonDocument.Parse(body).RootElement.GetProperty("inputs")[0].GetProperty("shape")[0].GetInt32();
            return Results.Json(new Dictionary<string, object>
            {
                ["model_name"] = "m",
                ["model_version"] = version,
                ["parameters"] = new Dictionary<string, object> { ["variant"] = variant ?? "champion" },
                ["outputs"] = new[] { new { name = "probability", shape = new[] { rows }, datatype = "FP32", data = Enumerable.Repeat(probability, rows).ToArray() } },
            });
        }

        return Results.Json(new
        {
            predictionId = Guid.CreateVersion7().ToString(),
            variant = variant ?? "champion",
            probability,
            uncertainty = 0.0,
            modelName = "m",
            modelVersion = version,
            fallback = false,
            latencyMs = 0.1,
        });
    }

    public static int FreePort() => Mlops.Testing.ServiceProcess.FreePort();

    public async ValueTask DisposeAsync()
    {
        foreach (var variant in _held.Keys)
        {
            Release(variant);
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One request as the stand-in got it.</summary>
public sealed record ReceivedRequest(string Path, string? Variant, string EntityHeader, string Body);
