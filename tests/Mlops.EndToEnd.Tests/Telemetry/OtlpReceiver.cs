using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Mlops.Testing;

namespace Mlops.EndToEnd.Tests.Telemetry;

/// <summary>
/// A minimal OTLP trace receiver hosted by the test: OTLP/gRPC on an HTTP/2 cleartext port (the services' exporter
/// speaks gRPC unless the endpoint is on 4318) and OTLP/HTTP protobuf (<c>POST /v1/traces</c>) on an HTTP/1.1 port.
/// Metrics and logs are accepted and dropped.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    const string GrpcTracePath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

    readonly WebApplication _app;
    readonly ConcurrentQueue<ExportedSpan> _spans = new();
    int _requests;
    int _decodeFailures;

    OtlpReceiver(int grpcPort, int httpPort)
    {
        GrpcEndpoint = new Uri($"http://127.0.0.1:{grpcPort}");
        HttpEndpoint = new Uri($"http://127.0.0.1:{httpPort}");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, grpcPort, o => o.Protocols = HttpProtocols.Http2);
            kestrel.Listen(IPAddress.Loopback, httpPort, o => o.Protocols = HttpProtocols.Http1);
            kestrel.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
    }

    /// <summary>OTLP/gRPC endpoint (what <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> should name).</summary>
    public Uri GrpcEndpoint { get; }

    /// <summary>OTLP/HTTP endpoint (<c>/v1/traces</c> under it).</summary>
    public Uri HttpEndpoint { get; }

    /// <summary>Every span received so far.</summary>
    public IReadOnlyCollection<ExportedSpan> Spans => _spans.ToArray();

    /// <summary>Requests received (all signals) and trace bodies that failed to decode, for failure messages.</summary>
    public string Statistics => $"{_requests} export requests, {_spans.Count} spans, {_decodeFailures} undecodable trace bodies";

    /// <summary>Starts the receiver on two free ports.</summary>
    public static async Task<OtlpReceiver> StartAsync()
    {
        var receiver = new OtlpReceiver(ServiceProcess.FreePort(), ServiceProcess.FreePort());
        await receiver._app.StartAsync();
        return receiver;
    }

    /// <summary>Spans of <paramref name="traceId"/> (hex).</summary>
    public IReadOnlyList<ExportedSpan> Trace(string traceId) => _spans.Where(s => s.TraceId == traceId).ToList();

    async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var grpc = context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;
        try
        {
            if (grpc && context.Request.Path == GrpcTracePath)
            {
                foreach (var message in GrpcMessages(body))
                {
                    Collect(message);
                }
            }
            else if (!grpc && context.Request.Path.Value?.EndsWith("/v1/traces", StringComparison.Ordinal) == true)
            {
                Collect(context.Request.Headers.ContentEncoding == "gzip" ? Gunzip(body) : body);
            }
        }
        catch (Exception ex) when (ex is Google.Protobuf.InvalidProtocolBufferException or InvalidDataException)
        {
            Interlocked.Increment(ref _decodeFailures);
        }

        if (grpc)
        {
            // An empty Export*ServiceResponse in one gRPC frame, then the status trailer.
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(new byte[5], context.RequestAborted);
            context.Response.AppendTrailer("grpc-status", "0");
        }
        else
        {
            context.Response.ContentType = "application/x-protobuf";
        }
    }

    void Collect(byte[] request)
    {
        foreach (var span in OtlpTraceDecoder.Decode(request))
        {
            _spans.Enqueue(span);
        }
    }

    /// <summary>gRPC length-prefixed messages: 1 byte compressed flag, 4 bytes big-endian length, the message.</summary>
    static IEnumerable<byte[]> GrpcMessages(byte[] body)
    {
        var offset = 0;
        while (offset + 5 <= body.Length)
        {
            var compressed = body[offset] == 1;
            var length = (body[offset + 1] << 24) | (body[offset + 2] << 16) | (body[offset + 3] << 8) | body[offset + 4];
            var message = body.AsSpan(offset + 5, length).ToArray();
            offset += 5 + length;
            yield return compressed ? Gunzip(message) : message;
        }
    }

    static byte[] Gunzip(byte[] data)
    {
        using var input = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
