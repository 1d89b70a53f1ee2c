using Mlops.Gateway.Security;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;

namespace Mlops.Gateway.Routing;

/// <summary>
/// The first step of the proxy pipeline, before load balancing: an inference request is assigned its model's variant
/// (<see cref="VariantRouter"/>), which the forwarded request carries as <c>X-Model-Variant</c>, and is moved to the
/// variant's own cluster when <see cref="VariantRoutingOptions.Clusters"/> names one. The body is buffered (up to
/// <see cref="VariantRoutingOptions.MaxBodyBytes"/>) only for a model whose entity matters — split or mirrored.
/// </summary>
public sealed class VariantRoutingMiddleware(
    RequestDelegate next,
    DeploymentTable table,
    IOptions<VariantRoutingOptions> options,
    IProxyStateLookup proxyState,
    ILogger<VariantRoutingMiddleware> logger)
{
    /// <summary>The variant on the forwarded request; from a client, an override (for testing).</summary>
    public const string VariantHeader = "X-Model-Variant";

    /// <summary>The entity of a request whose path and body do not carry one.</summary>
    public const string EntityHeader = "X-Entity-Id";

    public async Task InvokeAsync(HttpContext context)
    {
        var settings = options.Value;
        var proxy = context.GetReverseProxyFeature();
        if (proxy.Cluster?.Config.ClusterId != settings.InferenceCluster
            || InferenceRequest.TryParse(context.Request.Method, context.Request.Path.Value, settings.DefaultModel) is not { } request)
        {
            await next(context);
            return;
        }

        var routes = table.Find(request.ModelName);
        var requested = Header(context, VariantHeader);
        if (requested is not null && !(context.User.IsInRole(Roles.Operate) || context.User.IsInRole(Roles.Admin)))
        {
            // Choosing the variant bypasses the split an experiment or a rollout depends on: operators test with it, clients do not.
            await TypedResults.Problem(
                $"Header {VariantHeader} chooses the model variant, which needs role '{Roles.Operate}' or '{Roles.Admin}'; leave it out and the gateway assigns the variant.",
                statusCode: StatusCodes.Status403Forbidden, title: "Role required").ExecuteAsync(context);
            return;
        }

        var entity = request.PathEntityId ?? Header(context, EntityHeader);
        ReadOnlyMemory<byte>? body = null;
        if (routes is { NeedsEntity: true })
        {
            body = await RequestBodyBuffer.ReadAsync(context.Request, settings.MaxBodyBytes, context.RequestAborted);
            if (body is null)
            {
                await TypedResults.Problem(
                    $"The request body is larger than {settings.MaxBodyBytes} bytes, the most the gateway buffers for an inference request (Gateway:Variants:MaxBodyBytes).",
                    statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large").ExecuteAsync(context);
                return;
            }

            entity ??= EntityIdReader.Read(body.Value, request.Protocol);
        }

        var decision = VariantRouter.Decide(request.ModelName, routes, entity, requested);
        if (requested is not null && routes?.Champion is not null && decision.Route is null)
        {
            await TypedResults.Problem(
                $"Header {VariantHeader} names variant '{requested}', which model '{request.ModelName}' does not have; its routes are {string.Join(", ", routes.Routes.Select(r => $"'{r.Alias}'"))}.",
                statusCode: StatusCodes.Status400BadRequest, title: "Unknown model variant").ExecuteAsync(context);
            return;
        }

        if (decision.Variant is not null)
        {
            context.Request.Headers[VariantHeader] = decision.Variant;
            if (settings.Clusters.TryGetValue(decision.Variant, out var clusterId) && clusterId != proxy.Cluster.Config.ClusterId)
            {
                if (!proxyState.TryGetCluster(clusterId, out var cluster))
                {
                    logger.LogError("Gateway:Variants:Clusters maps variant {Variant} to cluster {Cluster}, which ReverseProxy:Clusters does not define", decision.Variant, clusterId);
                    await TypedResults.Problem($"Variant '{decision.Variant}' is mapped to cluster '{clusterId}', which the gateway does not define.",
                        statusCode: StatusCodes.Status503ServiceUnavailable, title: "Variant cluster missing").ExecuteAsync(context);
                    return;
                }

                context.ReassignProxyRequest(cluster);
            }
        }

        RoutingTelemetry.Requests.Add(1,
            new KeyValuePair<string, object?>("model.name", decision.ModelName),
            new KeyValuePair<string, object?>("model.variant", decision.Variant ?? "none"),
            new KeyValuePair<string, object?>("assignment", decision.Source.ToString()));
        Activity.Current?.SetTag("mlops.model.name", decision.ModelName)
            .SetTag("mlops.model.variant", decision.Variant)
            .SetTag("mlops.variant.assignment", decision.Source.ToString())
            .SetTag("mlops.shadow.mirrored", decision.Mirror is not null);
        context.Features.Set(new VariantFeature(decision, entity, body));
        await next(context);
    }

    static string? Header(HttpContext context, string name) =>
        context.Request.Headers.TryGetValue(name, out var values) && values.ToString().Trim() is { Length: > 0 } value ? value : null;
}
