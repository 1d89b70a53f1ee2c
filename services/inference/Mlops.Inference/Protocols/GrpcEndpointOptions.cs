namespace Mlops.Inference.Protocols;

/// <summary>
/// Where the Open Inference Protocol's gRPC service listens (configuration section <c>Inference:Grpc</c>;
/// docs/inference.md). gRPC needs HTTP/2, and without TLS Kestrel cannot offer HTTP/1.1 and HTTP/2 on one port, so
/// gRPC gets a port of its own (HTTP/2 only) beside the REST port (<c>ASPNETCORE_URLS</c>), which keeps HTTP/1.1 for
/// every client and health probe that already uses it.
/// </summary>
public sealed class GrpcEndpointOptions
{
    public const string Section = "Inference:Grpc";

    /// <summary>An <c>http://host:port</c> URL (host an IP address, <c>localhost</c> or <c>*</c>); empty: no gRPC port.</summary>
    public string? Url { get; set; }

    /// <summary>The URL as an address, or null when it is not a plain-HTTP URL with an explicit port.</summary>
    public Uri? Address =>
        Uri.TryCreate(Url?.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
        && uri.Scheme == Uri.UriSchemeHttp && uri.AbsolutePath == "/" && Url!.TrimEnd('/').EndsWith(":" + uri.Port, StringComparison.Ordinal)
            ? uri
            : null;
}
