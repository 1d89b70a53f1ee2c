using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Mlops.Testing;

namespace Mlops.EndToEnd.Tests.Platform;

/// <summary>
/// The seven services started as processes from their Release build output with their shipped configuration. Only
/// connection settings are given: the platform env file (databases, brokers), the telemetry receiver, and — when the
/// shipped ports are taken — the ports used, with every loopback address a shipped appsettings.json names re-pointed
/// at the port actually used (e.g. the gateway's cluster destinations, training's features and registry addresses).
/// </summary>
public sealed class PlatformUnderTest : IAsyncDisposable
{
    /// <summary>Name, project folder and shipped port of every service, as platform.sh starts them.</summary>
    public static readonly IReadOnlyList<(string Name, string Project, int ShippedPort)> Services =
    [
        ("ingestion", "services/ingestion/Mlops.Ingestion", 58081),
        ("features", "services/features/Mlops.Features", 58082),
        ("training", "services/training/Mlops.Training", 58083),
        ("registry", "services/registry/Mlops.Registry", 58084),
        ("inference", "services/inference/Mlops.Inference", 58085),
        ("monitoring", "services/monitoring/Mlops.Monitoring", 58086),
        ("gateway", "gateway/Mlops.Gateway", 58080),
    ];

    /// <summary>Set to a port number to run the services on it and the next six (e.g. a range reserved for a developer).</summary>
    public const string PortBaseVariable = "MLOPS_E2E_PORT_BASE";

    readonly Dictionary<string, ServiceProcess> _processes = new(StringComparer.Ordinal);
    readonly Uri _otlpEndpoint;

    PlatformUnderTest(IReadOnlyDictionary<string, int> ports, Uri otlpEndpoint)
    {
        Ports = ports;
        _otlpEndpoint = otlpEndpoint;
    }

    /// <summary>The port each service listens on.</summary>
    public IReadOnlyDictionary<string, int> Ports { get; }

    /// <summary>The running processes by service name.</summary>
    public IReadOnlyDictionary<string, ServiceProcess> Processes => _processes;

    /// <summary>Where users reach the platform.</summary>
    public Uri Gateway => new($"http://127.0.0.1:{Ports["gateway"]}/");

    /// <summary>
    /// The admin key the local setup writes to the env file (<c>MLOPS_API_KEY</c>), which the gateway accepts as its
    /// bootstrap key — read the way the shipped <c>mlops</c> command reads it.
    /// </summary>
    public string ApiKey { get; } = PlatformInfrastructure.Configuration["MLOPS_API_KEY"] is { Length: > 0 } key
        ? key
        : throw new InvalidOperationException("MLOPS_API_KEY is missing from the platform env file; run infra/local/infra.sh up (it writes the gateway's bootstrap key).");

    /// <summary>How the ports were chosen, for the test output.</summary>
    public string PortMode { get; private init; } = "";

    /// <summary>Starts every service and waits until each reports ready.</summary>
    public static async Task<PlatformUnderTest> StartAsync(Uri otlpEndpoint, Action<string> log)
    {
        var (ports, mode) = ChoosePorts();
        var platform = new PlatformUnderTest(ports, otlpEndpoint) { PortMode = mode };
        log($"ports ({mode}): {string.Join(", ", ports.Select(p => $"{p.Key} {p.Value}"))}");
        try
        {
            foreach (var (name, _, _) in Services)
            {
                platform._processes[name] = platform.StartProcess(name, ports[name]);
            }

            foreach (var (name, process) in platform._processes)
            {
                await process.WaitUntilReadyAsync();
                log($"{name} ready on {process.BaseAddress}");
            }

            return platform;
        }
        catch (Exception ex)
        {
            var logs = platform.LogTails(40);
            await platform.DisposeAsync();
            throw new InvalidOperationException($"the platform did not start: {ex.Message}\n{logs}", ex);
        }
    }

    /// <summary>The first replica of a service, as started here.</summary>
    public ServiceProcess Process(string name) => _processes[name];

    /// <summary>
    /// Starts one more replica of <paramref name="name"/> on <paramref name="port"/>, configured exactly as the first
    /// (shipped files, the same environment); only the port differs. The caller owns (and disposes) it.
    /// </summary>
    public ServiceProcess StartReplica(string name, int port) => StartProcess(name, port);

    ServiceProcess StartProcess(string name, int port)
    {
        var project = Services.Single(s => s.Name == name).Project;
        var environment = new Dictionary<string, string>
        {
            ["OTEL_SERVICE_NAME"] = name,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = _otlpEndpoint.ToString().TrimEnd('/'),
        };
        foreach (var (key, value) in RepointedAddresses(project, Ports))
        {
            environment[key] = value;
        }

        return ServiceProcess.Start(project, port, environment);
    }

    /// <summary>Kills one service at once (SIGKILL), as a crash would, and waits until the process is gone.</summary>
    public async Task KillAsync(string name)
    {
        var process = _processes[name];
        process.Kill();
        await process.DisposeAsync();
    }

    /// <summary>Starts a killed service again on its port with the environment it first had.</summary>
    public ServiceProcess Restart(string name)
    {
        var process = StartProcess(name, Ports[name]);
        _processes[name] = process;
        return process;
    }

    /// <summary>The last lines of every service's output (or of those named, in that order), for failure messages.</summary>
    public string LogTails(int lines, params string[] names)
    {
        var text = new StringBuilder();
        var chosen = names.Length == 0 ? _processes.ToList() : names.Where(_processes.ContainsKey).Select(n => KeyValuePair.Create(n, _processes[n])).ToList();
        foreach (var (name, process) in chosen)
        {
            text.AppendLine($"----- {name} ({(process.HasExited ? "exited" : "running")}), last {lines} lines -----");
            text.AppendLine(process.Tail(lines));
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // The gateway first, then the rest in reverse start order.
        foreach (var process in _processes.Values.Reverse())
        {
            await process.DisposeAsync();
        }

        _processes.Clear();
    }

    static (Dictionary<string, int> Ports, string Mode) ChoosePorts()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable(PortBaseVariable), out var first))
        {
            return (Services.Select((s, i) => (s.Name, Port: first + i)).ToDictionary(s => s.Name, s => s.Port), $"from {PortBaseVariable}");
        }

        if (Services.All(s => IsFree(s.ShippedPort)))
        {
            return (Services.ToDictionary(s => s.Name, s => s.ShippedPort), "shipped");
        }

        return (Services.ToDictionary(s => s.Name, _ => ServiceProcess.FreePort()), "free (the shipped ports are in use)");
    }

    /// <summary>
    /// Environment overrides for every <c>http://127.0.0.1:&lt;shipped port&gt;</c> address in the service's shipped
    /// appsettings.json, pointing it at the port that service runs on now. Nothing else is overridden.
    /// </summary>
    static IEnumerable<(string Key, string Value)> RepointedAddresses(string project, IReadOnlyDictionary<string, int> ports)
    {
        var file = Path.Combine(PlatformInfrastructure.RepositoryRoot, project, "appsettings.json");
        var byShippedPort = Services.ToDictionary(s => s.ShippedPort, s => ports[s.Name]);
        var overrides = new List<(string, string)>();
        Walk(JsonNode.Parse(File.ReadAllText(file)), "");
        return overrides;

        void Walk(JsonNode? node, string path)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, child) in obj)
                    {
                        Walk(child, path.Length == 0 ? key : path + "__" + key);
                    }

                    break;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        Walk(array[i], path + "__" + i);
                    }

                    break;
                case JsonValue value when value.TryGetValue<string>(out var text)
                    && Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.IsLoopback
                    && byShippedPort.TryGetValue(uri.Port, out var now) && now != uri.Port:
                    overrides.Add((path, new UriBuilder(uri) { Port = now }.Uri.ToString()));
                    break;
            }
        }
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
