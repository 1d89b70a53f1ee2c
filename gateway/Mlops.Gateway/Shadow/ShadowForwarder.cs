using System.Diagnostics;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Registry;
using Mlops.Gateway.Routing;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Mlops.Gateway.Shadow;

/// <summary>
/// The shadow workers: each takes a mirror from the queue, forwards it through YARP's <see cref="IHttpForwarder"/> to
/// the shadow variant (its own cluster when <c>Gateway:Variants:Clusters:shadow</c> names one, else the inference
/// cluster with <c>X-Model-Variant: shadow</c>), over the cluster's own HTTP client, and compares the answer with the
/// primary's. The shadow's answer goes nowhere else.
/// </summary>
public sealed class ShadowForwarder(
    ShadowQueue queue,
    ShadowComparisons comparisons,
    IHttpForwarder forwarder,
    IProxyStateLookup proxyState,
    IOptions<ShadowOptions> options,
    IOptions<VariantRoutingOptions> routing,
    ILogger<ShadowForwarder> logger) : BackgroundService
{
    public const string ModelVersionHeader = "X-Model-Version";

    long _next;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Value.Workers).Select(_ => Task.Run(() => WorkAsync(stoppingToken), stoppingToken)));

    async Task WorkAsync(CancellationToken stoppingToken)
    {
        await foreach (var request in queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await MirrorAsync(request, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // A mirror must never take a worker down; it is counted and the next one goes.
                comparisons.Count(request.ModelName, ShadowOutcome.Failed);
                logger.LogWarning(ex, "Mirror of {Model} to {Version} failed", request.ModelName, request.Shadow.Version);
            }
        }
    }

    async Task MirrorAsync(ShadowRequest request, CancellationToken stoppingToken)
    {
        using var activity = ShadowTelemetry.ActivitySource.StartActivity("shadow mirror", ActivityKind.Client);
        activity?.SetTag("mlops.model.name", request.ModelName).SetTag("mlops.shadow.version", request.Shadow.Version);
        if (Destination(request.Shadow) is not { } target)
        {
            comparisons.Count(request.ModelName, ShadowOutcome.Failed);
            logger.LogWarning("No destination for the shadow of {Model}", request.ModelName);
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(options.Value.Timeout);
        var context = Build(request, timeout.Token);
        var started = Stopwatch.GetTimestamp();
        var error = await forwarder.SendAsync(context, target.Prefix, target.Client, new ForwarderRequestConfig { ActivityTimeout = options.Value.Timeout }, HttpTransformer.Default, timeout.Token);
        var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (error != ForwarderError.None || context.Response.StatusCode is < 200 or >= 300)
        {
            comparisons.Count(request.ModelName, ShadowOutcome.Failed);
            activity?.SetStatus(ActivityStatusCode.Error, error != ForwarderError.None ? error.ToString() : $"HTTP {context.Response.StatusCode}");
            return;
        }

        var answer = (MemoryStream)context.Response.Body;
        var primary = request.PrimaryAnswer is { } bytes ? PredictionAnswer.Parse(bytes) : null;
        var shadow = answer.Length <= options.Value.MaxResponseBytes ? PredictionAnswer.Parse(answer.GetBuffer().AsSpan(0, (int)answer.Length)) : null;
        if (primary is null || shadow is null || primary.Probabilities.Count != shadow.Probabilities.Count)
        {
            comparisons.Count(request.ModelName, ShadowOutcome.Uncomparable);
            return;
        }

        var shadowVersion = context.Response.Headers[ModelVersionHeader].ToString() is { Length: > 0 } header ? header : shadow.ModelVersion ?? request.Shadow.Version;
        var primaryVersion = request.PrimaryVersionHeader ?? primary.ModelVersion ?? "unknown";
        var rows = Enumerable.Range(0, primary.Probabilities.Count).Where(i => !double.IsNaN(primary.Probabilities[i]) && !double.IsNaN(shadow.Probabilities[i])).ToList();
        comparisons.Record(request.ModelName, request.PrimaryVariant, primaryVersion, shadowVersion,
            [.. rows.Select(i => primary.Probabilities[i])], [.. rows.Select(i => shadow.Probabilities[i])], request.PrimaryLatencyMs, latency);
    }

    (string Prefix, HttpMessageInvoker Client)? Destination(TrafficRoute shadow)
    {
        var settings = routing.Value;
        var clusterId = settings.Clusters.GetValueOrDefault(shadow.Alias) ?? settings.InferenceCluster;
        if (!proxyState.TryGetCluster(clusterId, out var cluster) || cluster.Model.HttpClient is not { } client)
        {
            return null;
        }

        var destinations = cluster.DestinationsState.AvailableDestinations is { Count: > 0 } available ? available : cluster.DestinationsState.AllDestinations;
        if (destinations.Count == 0)
        {
            return null;
        }

        var destination = destinations[(int)(Interlocked.Increment(ref _next) % destinations.Count)];
        return (destination.Model.Config.Address, client);
    }

    static DefaultHttpContext Build(ShadowRequest request, CancellationToken aborted)
    {
        var context = new DefaultHttpContext { RequestAborted = aborted };
        var http = context.Request;
        http.Method = request.Method;
        http.Protocol = "HTTP/1.1";
        http.Scheme = "http";
        http.Path = request.Path;
        http.QueryString = new QueryString(request.QueryString);
        foreach (var (name, values) in request.Headers)
        {
            http.Headers[name] = values;
        }

        http.Host = new HostString(request.Host);
        http.Headers.Remove("Transfer-Encoding");
        http.Headers[VariantRoutingMiddleware.VariantHeader] = request.Shadow.Alias;
        http.ContentLength = request.Body.Length;
        http.Body = new MemoryStream(request.Body.ToArray(), writable: false);
        context.Response.Body = new MemoryStream();
        return context;
    }
}
