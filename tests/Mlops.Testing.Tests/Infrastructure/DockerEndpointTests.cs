using System.Net;
using System.Net.Sockets;
using System.Text;
using Mlops.Testing.Infrastructure;

namespace Mlops.Testing.Tests.Infrastructure;

public class DockerEndpointTests
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void Parse_Unset_DefaultSocket() =>
        Assert.Equal("unix:///var/run/docker.sock", DockerEndpoint.Parse(null).Description);

    [Fact]
    public void Parse_UnsupportedScheme_ThrowsNamingIt()
    {
        var error = Assert.Throws<InvalidOperationException>(() => DockerEndpoint.Parse("ssh://user@host"));
        Assert.Contains("ssh://user@host", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answers_TcpEndpointReplyingOkToPing_True()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = AnswerOnceAsync(listener.AcceptSocketAsync(), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");

        var answers = DockerEndpoint.Parse($"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}").Answers(Timeout);

        Assert.True(answers);
        Assert.StartsWith("GET /_ping ", await server, StringComparison.Ordinal);
    }

    [Fact]
    public void Answers_TcpEndpointReplyingError_False()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _ = AnswerOnceAsync(listener.AcceptSocketAsync(), "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");

        Assert.False(DockerEndpoint.Parse($"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}").Answers(Timeout));
    }

    [Fact]
    public void Answers_UnixSocketReplyingOkToPing_True()
    {
        var path = Path.Combine(Path.GetTempPath(), $"docker-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        try
        {
            _ = AnswerOnceAsync(listener.AcceptAsync(), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
            Assert.True(DockerEndpoint.Parse("unix://" + path).Answers(Timeout));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Answers_SocketFileWithoutEngine_False()
    {
        // What a stopped engine leaves behind: the path exists, nobody listens.
        var path = Path.Combine(Path.GetTempPath(), $"docker-{Guid.NewGuid():N}.sock");
        using (var orphan = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            orphan.Bind(new UnixDomainSocketEndPoint(path));
        }

        try
        {
            Assert.False(DockerEndpoint.Parse("unix://" + path).Answers(Timeout));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Answers_NoSocketFile_False() =>
        Assert.False(DockerEndpoint.Parse($"unix:///tmp/no-docker-{Guid.NewGuid():N}.sock").Answers(Timeout));

    // Reads the request head, sends the canned response, returns the request line.
    static async Task<string> AnswerOnceAsync(Task<Socket> accept, string response)
    {
        using var socket = await accept;
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var request = new StringBuilder();
        var buffer = new byte[512];
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                break;
            }

            request.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(response));
        socket.Shutdown(SocketShutdown.Both);
        return request.ToString().Split("\r\n")[0];
    }
}
