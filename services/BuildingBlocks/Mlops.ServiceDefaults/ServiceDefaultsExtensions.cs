using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Mlops.ServiceDefaults.Configuration;
using Mlops.ServiceDefaults.Health;
using Mlops.ServiceDefaults.Http;
using Mlops.ServiceDefaults.Telemetry;

namespace Mlops.ServiceDefaults;

/// <summary>The defaults every service process starts with, so each <c>Program.cs</c> stays a few lines.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Route of the OpenAPI documents; every service has one, named <c>v1</c>.</summary>
    public const string OpenApiDocumentPath = "/openapi/{documentName}.json";

    /// <summary>Configuration from the platform env file, telemetry, problem details (also for unbindable requests), the OpenAPI document and the liveness check.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Configuration.AddPlatformEnvFile(builder.Environment.ContentRootPath);
        builder.AddPlatformTelemetry();

        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path;
            context.ProblemDetails.Extensions.TryAdd("traceId", Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier);
            if (context.ProblemDetails.Status == StatusCodes.Status415UnsupportedMediaType && context.ProblemDetails.Detail is null)
            {
                // Minimal APIs answer a wrong content type with a bare 415 (it does not throw), so the reason is added here.
                var contentType = context.HttpContext.Request.ContentType;
                context.ProblemDetails.Detail = contentType is null
                    ? "the request has no Content-Type; JSON endpoints expect application/json"
                    : $"Content-Type '{contentType}' is not supported by this endpoint; JSON endpoints expect application/json";
            }
        });

        // Binding failures (malformed JSON, missing body, wrong content type) throw in every environment, so the
        // handler below can answer with where and why instead of an empty 400.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        // A database or service that does not answer: 503 with Retry-After, never a 500 (see docs/reliability.md).
        builder.Services.AddExceptionHandler<TransientFailureExceptionHandler>();

        builder.Services.AddOpenApi();

        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), tags: [HealthTags.Live]);

        return builder;
    }

    /// <summary>
    /// Error handling as problem details, <c>/health/live</c> and <c>/health/ready</c>, the Prometheus scrape endpoint
    /// <c>/metrics</c> and the service's OpenAPI document at <c>/openapi/v1.json</c>; at <c>/</c> what the service is,
    /// unless <paramref name="describeAtRoot"/> is false (the gateway serves its dashboard there).
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app, bool describeAtRoot = true)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        app.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(HealthTags.Live),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(HealthTags.Ready),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        });
        app.MapPrometheusScrapingEndpoint(TelemetryExtensions.MetricsPath);
        app.MapOpenApi(OpenApiDocumentPath);
        if (!describeAtRoot)
        {
            return app;
        }

        app.MapGet("/", (IHostEnvironment environment) => TypedResults.Ok(new
        {
            service = environment.ApplicationName,
            environment = environment.EnvironmentName,
            health = new[] { "/health/live", "/health/ready" },
            metrics = TelemetryExtensions.MetricsPath,
            openApi = OpenApiDocumentPath.Replace("{documentName}", "v1", StringComparison.Ordinal),
        })).ExcludeFromDescription();

        return app;
    }
}
