using Scalar.AspNetCore;

namespace Mlops.Gateway.ApiReference;

/// <summary>
/// One browsable API reference for the whole platform. Each service serves its own OpenAPI document at
/// <c>/openapi/v1.json</c>; the gateway's <c>ReverseProxy</c> routes expose it as <c>/openapi/{service}.json</c>, and the
/// page lists one document per proxied service. Its scripts are embedded in Scalar.AspNetCore and served from here.
/// </summary>
internal static class ApiReferenceEndpoints
{
    /// <summary>Where the reference page is served.</summary>
    public const string Path = "/api-reference";

    /// <summary>Where the gateway proxies each service's document; <c>{documentName}</c> is the service (its cluster name).</summary>
    public const string ServiceDocumentPattern = "/openapi/{documentName}.json";

    public static WebApplication MapApiReference(this WebApplication app)
    {
        var services = app.Configuration.GetSection("ReverseProxy:Clusters").GetChildren().Select(c => c.Key).Order(StringComparer.Ordinal).ToList();
        services.Add(GatewayServiceExtensions.GatewayDocument);
        app.MapScalarApiReference(Path, options =>
        {
            // The page works offline: no fonts from a CDN, no usage telemetry, no hosted AI agent or MCP server.
            options.WithTitle("MLOps platform API")
                .WithOpenApiRoutePattern(ServiceDocumentPattern)
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .DisableMcp();
            options.AddDocuments(services);
        });
        return app;
    }
}
