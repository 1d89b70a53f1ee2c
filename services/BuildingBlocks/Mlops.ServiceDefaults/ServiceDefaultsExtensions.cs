using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Mlops.ServiceDefaults.Configuration;
using Mlops.ServiceDefaults.Health;
using Mlops.ServiceDefaults.Telemetry;

namespace Mlops.ServiceDefaults;

/// <summary>The defaults every service process starts with, so each <c>Program.cs</c> stays a few lines.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Route of the OpenAPI documents; every service has one, named <c>v1</c>.</summary>
    public const string OpenApiDocumentPath = "/openapi/{documentName}.json";

    /// <summary>Configuration from the platform env file, telemetry, problem details, the OpenAPI document and the liveness check.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Configuration.AddPlatformEnvFile(builder.Environment.ContentRootPath);
        builder.AddPlatformTelemetry();

        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path;
            context.ProblemDetails.Extensions.TryAdd("traceId", Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier);
        });

        builder.Services.AddOpenApi();

        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), tags: [HealthTags.Live]);

        return builder;
    }

    /// <summary>
    /// Error handling as problem details, <c>/health/live</c> and <c>/health/ready</c>, the Prometheus scrape endpoint
    /// <c>/metrics</c> and the service's OpenAPI document at <c>/openapi/v1.json</c>.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
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
