using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Mlops.ServiceDefaults.Telemetry;

/// <summary>
/// Wires OpenTelemetry with the SDK builders directly (the hosting package is not obtainable here): the
/// providers are singletons created when the host starts and flushed when it stops.
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>Adds tracing, metrics and log export for the service.</summary>
    public static IHostApplicationBuilder AddPlatformTelemetry(this IHostApplicationBuilder builder)
    {
        var options = new TelemetryOptions();
        builder.Configuration.GetSection(TelemetryOptions.SectionName).Bind(options);
        var endpoint = ResolveEndpoint(options, builder.Configuration);
        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] ?? builder.Environment.ApplicationName;
        var resource = ResourceBuilder.CreateDefault()
            .AddService(serviceName, serviceVersion: typeof(TelemetryExtensions).Assembly.GetName().Version?.ToString())
            .AddAttributes([new("deployment.environment.name", builder.Environment.EnvironmentName)]);

        builder.Services.TryAddSingleton(_ => BuildTracerProvider(options, endpoint, resource));
        builder.Services.TryAddSingleton(_ => BuildMeterProvider(options, endpoint, resource));
        builder.Services.AddHostedService<TelemetryProvidersHost>();

        builder.Logging.Configure(o => o.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        if (endpoint is not null)
        {
            builder.Logging.AddOpenTelemetry(logging =>
            {
                logging.SetResourceBuilder(resource);
                logging.IncludeFormattedMessage = true;
                logging.IncludeScopes = true;
                logging.AddOtlpExporter(o => o.Endpoint = endpoint);
            });
        }

        return builder;
    }

    static TracerProvider BuildTracerProvider(TelemetryOptions options, Uri? endpoint, ResourceBuilder resource)
    {
        var tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.SamplingRatio)))
            .AddSource([.. TelemetrySources.ActivitySources, .. options.AdditionalSources]);
        if (endpoint is not null)
        {
            tracing.AddOtlpExporter(o => ConfigureExporter(o, endpoint));
        }

        return tracing.Build()!;
    }

    static MeterProvider BuildMeterProvider(TelemetryOptions options, Uri? endpoint, ResourceBuilder resource)
    {
        var metrics = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter([.. TelemetrySources.Meters, .. options.AdditionalMeters]);
        if (endpoint is not null)
        {
            metrics.AddOtlpExporter(o => ConfigureExporter(o, endpoint));
        }

        return metrics.Build()!;
    }

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
