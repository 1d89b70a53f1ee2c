using System.Diagnostics;
using Microsoft.Extensions.Options;
using Mlops.Gateway.Routing;

namespace Mlops.Gateway.Shadow;

/// <summary>
/// The proxy-pipeline step after the variant router: when the router chose to mirror a request, the primary's answer
/// is copied on its way to the client and, once the primary has answered successfully, the request and that answer
/// are queued for the shadow (<see cref="ShadowQueue"/>; never waited for). Nothing the shadow does reaches the client.
/// </summary>
public sealed class ShadowMirroringMiddleware(RequestDelegate next, ShadowQueue queue, IOptions<ShadowOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Features.Get<VariantFeature>() is not { Decision.Mirror: { } shadow, Body: { } body } feature)
        {
            await next(context);
            return;
        }

        var original = context.Response.Body;
        var capture = new ResponseCapture(original, options.Value.MaxResponseBytes);
        context.Response.Body = capture;
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
        }

        var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (context.Response.StatusCode is < 200 or >= 300 || context.RequestAborted.IsCancellationRequested)
        {
            // A request the primary refused or failed has nothing to compare; the shadow is not loaded with it.
            return;
        }

        var request = context.Request;
        queue.TryEnqueue(new ShadowRequest
        {
            ModelName = feature.Decision.ModelName,
            Shadow = shadow,
            PrimaryVariant = feature.Decision.Variant ?? "none",
            Method = request.Method,
            Host = request.Host.Value ?? "",
            Path = request.Path.Value ?? "/",
            QueryString = request.QueryString.Value ?? "",
            Headers = [.. request.Headers.Select(h => new KeyValuePair<string, string?[]>(h.Key, h.Value.ToArray()))],
            Body = body,
            PrimaryAnswer = capture.Captured,
            PrimaryVersionHeader = context.Response.Headers[ShadowForwarder.ModelVersionHeader].ToString() is { Length: > 0 } version ? version : null,
            PrimaryLatencyMs = latency,
        });
    }
}
