using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mlops.Testing.Infrastructure;

/// <summary>
/// The Docker engine's API endpoint: <c>DOCKER_HOST</c> (<c>unix://</c> or <c>tcp://</c>) or the default
/// <c>/var/run/docker.sock</c>. "Answers" means <c>GET /_ping</c> returns <c>200 OK</c>: a socket file left behind by a
/// stopped engine, or the <c>docker</c> client alone (as on the project's machines), does not count.
/// </summary>
public sealed class DockerEndpoint
{
    /// <summary>The socket Docker listens on when <c>DOCKER_HOST</c> is not set.</summary>
    public const string DefaultSocket = "/var/run/docker.sock";

    readonly EndPoint _endPoint;

    DockerEndpoint(EndPoint endPoint, string description)
    {
        _endPoint = endPoint;
        Description = description;
    }

    /// <summary>Where the probe connects, for messages.</summary>
    public string Description { get; }

    /// <summary>The endpoint named by <c>DOCKER_HOST</c>, else the default socket.</summary>
    public static DockerEndpoint FromEnvironment() => Parse(Environment.GetEnvironmentVariable("DOCKER_HOST"));

    /// <summary>Parses a <c>DOCKER_HOST</c> value; null or empty means the default socket.</summary>
    public static DockerEndpoint Parse(string? dockerHost)
    {
        if (string.IsNullOrWhiteSpace(dockerHost))
        {
            return new DockerEndpoint(new UnixDomainSocketEndPoint(DefaultSocket), "unix://" + DefaultSocket);
        }

        var uri = new Uri(dockerHost.Trim());
        return uri.Scheme switch
        {
            "unix" => new DockerEndpoint(new UnixDomainSocketEndPoint(uri.AbsolutePath), dockerHost),
            "tcp" or "http" => new DockerEndpoint(new DnsEndPoint(uri.Host, uri.Port > 0 ? uri.Port : 2375), dockerHost),
            _ => throw new InvalidOperationException($"DOCKER_HOST='{dockerHost}': only unix:// and tcp:// endpoints are probed."),
        };
    }

    /// <summary>True when the engine answers <c>GET /_ping</c> with 200 within <paramref name="timeout"/>.</summary>
    public bool Answers(TimeSpan timeout)
    {
        try
        {
            using var cancellation = new CancellationTokenSource(timeout);
            return PingAsync(cancellation.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        var protocol = _endPoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp;
        using var socket = new Socket(_endPoint.AddressFamily == AddressFamily.Unspecified ? AddressFamily.InterNetwork : _endPoint.AddressFamily, SocketType.Stream, protocol);
        await socket.ConnectAsync(_endPoint, cancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"), cancellationToken);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync(cancellationToken);
        return statusLine is not null && statusLine.Split(' ') is [_, "200", ..];
    }
}
