using System.Net;
using System.Net.Sockets;
using Mlops.EndToEnd.Tests.Platform;
using Mlops.Testing;

namespace Mlops.EndToEnd.Tests.Replicas;

/// <summary>
/// A second replica of some of the platform's services beside the first ones, with the same shipped configuration;
/// only the port differs (from <see cref="PortBaseVariable"/> when set and free, else free ports from the tests' range).
/// </summary>
public sealed class SecondReplicas : IAsyncDisposable
{
    /// <summary>First port of the second replicas (one per service, in the order given).</summary>
    public const string PortBaseVariable = "MLOPS_E2E_REPLICA_PORT_BASE";

    readonly Dictionary<string, ServiceProcess> _processes = new(StringComparer.Ordinal);

    /// <summary>The second replica of a service.</summary>
    public ServiceProcess this[string name] => _processes[name];

    /// <summary>Starts a second replica of every service named and waits until each reports ready.</summary>
    public static async Task<SecondReplicas> StartAsync(PlatformUnderTest platform, IReadOnlyList<string> names, Action<string> log)
    {
        // No fixed default: 59130 and up lie in the ephemeral range, and one was taken between the check and the bind.
        var ports = int.TryParse(Environment.GetEnvironmentVariable(PortBaseVariable), out var first) && Enumerable.Range(first, names.Count).All(IsFree)
            ? Enumerable.Range(first, names.Count).ToList()
            : names.Select(_ => ServiceProcess.FreePort()).ToList();
        var replicas = new SecondReplicas();
        try
        {
            for (var i = 0; i < names.Count; i++)
            {
                replicas._processes[names[i]] = platform.StartReplica(names[i], ports[i]);
            }

            foreach (var (name, process) in replicas._processes)
            {
                await process.WaitUntilReadyAsync();
                log($"{name} replica 2 ready on {process.BaseAddress}");
            }

            return replicas;
        }
        catch
        {
            await replicas.DisposeAsync();
            throw;
        }
    }

    /// <summary>The last lines of every second replica's output.</summary>
    public string LogTails(int lines, params string[] names) => string.Join(Environment.NewLine, _processes
        .Where(p => names.Length == 0 || names.Contains(p.Key))
        .Select(p => $"----- {p.Key} replica 2 ({(p.Value.HasExited ? "exited" : "running")}), last {lines} lines -----{Environment.NewLine}{p.Value.Tail(lines)}"));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Scaled down, not crashed: killed replicas would keep their partitions of every consumer group until the
        // session timed out (45 s), stalling whatever test runs next on the platform (a journey's predictions).
        await Task.WhenAll(_processes.Values.Select(p => p.StopAsync(TimeSpan.FromSeconds(20))));
        foreach (var process in _processes.Values)
        {
            await process.DisposeAsync();
        }

        _processes.Clear();
    }

    static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
