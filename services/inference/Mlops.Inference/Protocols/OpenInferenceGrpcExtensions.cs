using System.Net;
using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Mlops.Inference.Telemetry;

namespace Mlops.Inference.Protocols;

/// <summary>Registers the Open Inference Protocol's gRPC service and the HTTP/2 port it listens on.</summary>
public static class OpenInferenceGrpcExtensions
{
    /// <summary>
    /// The gRPC service, and — when <c>Inference:Grpc:Url</c> is set — Kestrel listening there with HTTP/2 only
    /// besides the REST URLs (<c>ASPNETCORE_URLS</c>, else <c>ASPNETCORE_HTTP_PORTS</c>, else Kestrel's default).
    /// </summary>
    public static IHostApplicationBuilder AddOpenInferenceGrpc(this IHostApplicationBuilder builder)
    {
        builder.Services.AddGrpc(o => o.Interceptors.Add<GrpcServerTelemetry>());
        builder.Services.AddSingleton<IServiceMethodProvider<OpenInferenceGrpcService>, OpenInferenceGrpcMethods>();
        builder.Services.AddOptions<GrpcEndpointOptions>().BindConfiguration(GrpcEndpointOptions.Section)
            .Validate(o => string.IsNullOrWhiteSpace(o.Url) || o.Address is not null,
                "Inference:Grpc:Url must be http://host:port (an IP address, localhost or *, and an explicit port), or empty for no gRPC port.")
            .ValidateOnStart();

        var grpc = builder.Configuration.GetSection(GrpcEndpointOptions.Section).Get<GrpcEndpointOptions>();
        if (grpc?.Address is not { } address)
        {
            return builder;
        }

        // Kestrel serves either the hosting URLs or endpoints configured in code, never both: once the gRPC port is
        // configured here, the REST URLs must be listened on here too — read from the same settings Kestrel would read.
        // Kestrel then logs that it is "overriding address(es)" of ASPNETCORE_URLS: it listens on exactly those here.
        var rest = RestUrls(builder.Configuration);
        builder.Services.Configure<KestrelServerOptions>(kestrel =>
        {
            foreach (var url in rest)
            {
                // Without TLS Kestrel speaks HTTP/1.1 only on a mixed endpoint anyway; saying so avoids its warning.
                Listen(kestrel, url, HttpProtocols.Http1);
            }

            Listen(kestrel, address, HttpProtocols.Http2);
        });
        return builder;
    }

    /// <summary>Maps <see cref="OpenInferenceGrpcService"/> (<c>inference.GRPCInferenceService</c>).</summary>
    public static IEndpointRouteBuilder MapOpenInferenceGrpc(this IEndpointRouteBuilder app)
    {
        app.MapGrpcService<OpenInferenceGrpcService>();
        return app;
    }

    static List<Uri> RestUrls(IConfiguration configuration)
    {
        IEnumerable<string> urls = configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } configured
            ? configured.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : configuration[WebHostDefaults.HttpPortsKey] is { Length: > 0 } ports
                ? ports.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"http://*:{p}")
                : ["http://localhost:5000"];
        return
        [
            .. urls.Select(url => new GrpcEndpointOptions { Url = url }.Address
                ?? throw new InvalidOperationException($"REST URL '{url}' is not http://host:port; with Inference:Grpc:Url set, the service listens on plain-HTTP URLs with explicit ports only.")),
        ];
    }

    static void Listen(KestrelServerOptions kestrel, Uri url, HttpProtocols protocols)
    {
        if (url.IsLoopback && url.Host == "localhost")
        {
            kestrel.ListenLocalhost(url.Port, o => o.Protocols = protocols);
        }
        else if (IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip))
        {
            kestrel.Listen(ip, url.Port, o => o.Protocols = protocols);
        }
        else
        {
            kestrel.ListenAnyIP(url.Port, o => o.Protocols = protocols);
        }
    }
}
