using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Mlops.ServiceDefaults.Telemetry;

/// <summary>
/// OpenTelemetry for every service: traces and metrics of ASP.NET Core, HttpClient, Npgsql, the runtime, MassTransit
/// and the platform's own sources; a Prometheus scrape endpoint (<c>/metrics</c>); OTLP export when an endpoint is configured.
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>Path of the Prometheus scrape endpoint.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Adds tracing, metrics and log export for the service.</summary>
    public static IHostApplicationBuilder AddPlatformTelemetry(this IHostApplicationBuilder builder)
    {
        var options = new TelemetryOptions();
        builder.Configuration.GetSection(TelemetryOptions.SectionName).Bind(options);
        var endpoint = ResolveEndpoint(options, builder.Configuration);
        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] ?? builder.Environment.ApplicationName;

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService(serviceName, serviceVersion: typeof(TelemetryExtensions).Assembly.GetName().Version?.ToString())
                .AddAttributes([new("deployment.environment.name", builder.Environment.EnvironmentName)]))
            .WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.SamplingRatio)))
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsInfrastructurePath(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddSource([.. TelemetrySources.ActivitySources, .. options.AdditionalSources]))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddMeter([.. TelemetrySources.Meters, .. options.AdditionalMeters])
                .AddPrometheusExporter());

        builder.Logging.Configure(o => o.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);

        if (endpoint is not null)
        {
            telemetry
                .WithTracing(tracing => tracing.AddOtlpExporter(o => ConfigureExporter(o, endpoint)))
                .WithMetrics(metrics => metrics.AddOtlpExporter(o => ConfigureExporter(o, endpoint)))
                .WithLogging(logging => logging.AddOtlpExporter(o => ConfigureExporter(o, endpoint)), logging =>
                {
                    logging.IncludeFormattedMessage = true;
                    logging.IncludeScopes = true;
                });
        }

        return builder;
    }

    // Probes and scrapes every few seconds would drown the traces that matter.
    static bool IsInfrastructurePath(Microsoft.AspNetCore.Http.PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments(MetricsPath);

    static void ConfigureExporter(OtlpExporterOptions exporter, Uri endpoint)
    {
        exporter.Endpoint = endpoint;
        exporter.Protocol = endpoint.Port == 4318 ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
    }

    static Uri? ResolveEndpoint(TelemetryOptions options, IConfiguration configuration)
    {
        var value = options.OtlpEndpoint;
        if (string.IsNullOrWhiteSpace(value))
        {
            value = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return Uri.TryCreate(value, UriKind.Absolute, out var uri)
            ? uri
            : throw new InvalidOperationException($"Telemetry:OtlpEndpoint '{value}' is not an absolute URI.");
    }
}
