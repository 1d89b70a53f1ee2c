using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Mlops.Testing;

/// <summary>
/// A loopback TCP forwarder between a system under test and a shared server (PostgreSQL), which a test can cut —
/// every open connection is reset and new ones are refused, as when the server stops — and restore, without touching
/// the server other engineers use.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    readonly string _targetHost;
    readonly int _targetPort;
    readonly ConcurrentDictionary<Socket, byte> _open = new();
    readonly object _gate = new();
    Socket? _listener;
    CancellationTokenSource? _accepting;

    TcpProxy(string targetHost, int targetPort, int port)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        Port = port;
    }

    /// <summary>The loopback port the proxy listens on (kept across cut and restore).</summary>
    public int Port { get; }

    /// <summary>Whether connections are currently refused.</summary>
    public bool IsCut { get; private set; }

    /// <summary>Connections accepted since the start, for reports.</summary>
    public int ConnectionsAccepted => _connectionsAccepted;

    int _connectionsAccepted;

    /// <summary>Starts forwarding a free loopback port to <paramref name="targetHost"/>:<paramref name="targetPort"/>.</summary>
    public static TcpProxy Start(string targetHost, int targetPort)
    {
        var proxy = new TcpProxy(targetHost, targetPort, ServiceProcess.FreePort());
        proxy.Listen();
        return proxy;
    }

    /// <summary>
    /// A proxy in front of the PostgreSQL server of <paramref name="connectionString"/>; returns the proxy and the same
    /// connection string pointed at it.
    /// </summary>
    public static (TcpProxy Proxy, string ConnectionString) ForPostgres(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        var proxy = Start(builder.Host ?? "127.0.0.1", builder.Port);
        builder.Host = "127.0.0.1";
        builder.Port = proxy.Port;
        return (proxy, builder.ConnectionString);
    }

    /// <summary>Resets every open connection and refuses new ones until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        lock (_gate)
        {
            IsCut = true;
            _accepting?.Cancel();
            _listener?.Close();
            _listener = null;
        }

        foreach (var socket in _open.Keys)
        {
            Abort(socket);
        }
    }

    /// <summary>Accepts connections again, on the same port.</summary>
    public void Restore()
    {
        lock (_gate)
        {
            if (_listener is null)
            {
                Listen();
            }

            IsCut = false;
        }
    }

    void Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, Port));
        listener.Listen(128);
        _listener = listener;
        _accepting = new CancellationTokenSource();
        _ = AcceptLoopAsync(listener, _accepting.Token);
    }

    async Task AcceptLoopAsync(Socket listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _connectionsAccepted);
            _ = ForwardAsync(client);
        }
    }

    async Task ForwardAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _open.TryAdd(client, 0);
        _open.TryAdd(server, 0);
        try
        {
            await server.ConnectAsync(_targetHost, _targetPort);
            if (IsCut)
            {
                return;
            }

            await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The peer went away or the test cut the line: both ends are closed below.
        }
        finally
        {
            Abort(client);
            Abort(server);
            _open.TryRemove(client, out _);
            _open.TryRemove(server, out _);
        }
    }

    static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    // Linger 0 makes Close send a reset, as a server process that died would.
    static void Abort(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Cut();
        return ValueTask.CompletedTask;
    }
}
