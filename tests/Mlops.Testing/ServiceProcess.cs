using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Mlops.Testing;

/// <summary>One service started as its own process on a free loopback port, as the platform command starts it.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly ConcurrentQueue<string> _output = new();
    readonly StreamWriter _log;

    ServiceProcess(Process process, Uri baseAddress, string logPath)
    {
        _process = process;
        BaseAddress = baseAddress;
        LogPath = logPath;
        _log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Capture(e.Data);
        process.ErrorDataReceived += (_, e) => Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Where the service listens.</summary>
    public Uri BaseAddress { get; }

    /// <summary>
    /// The whole output of the process, kept on disk under <c>.local/test-logs</c>: failure messages carry only a tail,
    /// and CI shows only part of its log, so a failure that depends on what happened minutes earlier is read here.
    /// </summary>
    public string LogPath { get; }

    /// <summary>The most memory the process has held resident so far (Linux VmHWM), for benchmarks that report peak RSS.</summary>
    public long PeakResidentBytes => ProcessUsage.PeakResidentBytes(_process);

    /// <summary>The memory the process holds resident now (Linux VmRSS).</summary>
    public long ResidentBytes => ProcessUsage.ResidentBytes(_process);

    /// <summary>CPU time the process has used so far (user + system), for benchmarks that report CPU cost per item.</summary>
    public TimeSpan CpuTime => ProcessUsage.CpuTime(_process);

    /// <summary>Whether the process ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the process wrote, for failure messages.</summary>
    public string RecentOutput => string.Join(Environment.NewLine, _output.TakeLast(30));

    /// <summary>The last <paramref name="lines"/> lines the process wrote.</summary>
    public string Tail(int lines) => string.Join(Environment.NewLine, _output.TakeLast(lines));

    /// <summary>Kills the process at once (SIGKILL), as a crash would.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>
    /// Stops the process as an orchestrator scaling down does: SIGTERM, so it shuts down gracefully (its Kafka consumers
    /// leave their groups at once instead of holding their partitions until the session times out), then SIGKILL if
    /// it has not exited within <paramref name="grace"/>.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
        {
            await (term?.WaitForExitAsync() ?? Task.CompletedTask);
        }

        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Waits until <c>/health/ready</c> answers 200.</summary>
    public async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(20) };
        await Eventually.WaitUntilAsync(async () =>
        {
            if (HasExited)
            {
                throw new InvalidOperationException("The service exited:\n" + RecentOutput);
            }

            try
            {
                return (await http.GetAsync(new Uri("health/ready", UriKind.Relative))).IsSuccessStatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Refused while starting, or one probe timed out on a busy machine: ask again until the deadline.
                return false;
            }
            catch (TaskCanceledException)
            {
                // The probe itself timed out (a busy machine, a check waiting on its dependency): not ready yet.
                return false;
            }
        }, $"{BaseAddress} reports ready");
    }

    /// <summary>
    /// Starts the built service of <paramref name="projectDirectory"/> (relative to the repository root) with the
    /// platform env file and <paramref name="environment"/> overrides.
    /// </summary>
    public static ServiceProcess Start(string projectDirectory, IDictionary<string, string>? environment = null) =>
        Start(projectDirectory, FreePort(), environment);

    /// <summary>
    /// Starts the built service of <paramref name="projectDirectory"/> on <paramref name="port"/> (e.g. its shipped port,
    /// or one chosen beforehand so other services can be pointed at it).
    /// </summary>
    public static ServiceProcess Start(string projectDirectory, int port, IDictionary<string, string>? environment)
    {
        var project = Path.GetFileName(projectDirectory);
        var dll = Path.Combine(PlatformInfrastructure.RepositoryRoot, projectDirectory, "bin", BuildConfiguration, "net10.0", project + ".dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} was not built.");
        }

        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll },
            WorkingDirectory = Path.Combine(PlatformInfrastructure.RepositoryRoot, projectDirectory),
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["PLATFORM_ENV_FILE"] = PlatformInfrastructure.EnvFilePath;
        if (project == "Mlops.Inference")
        {
            // Inference's second listener (the gRPC port, HTTP/2 only) is a port as the REST one is: a free one, so
            // several inference processes (replicas, a test beside a running platform) do not collide on the shipped one.
            start.Environment["Inference__Grpc__Url"] = $"http://127.0.0.1:{FreePort()}";
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var logDirectory = Directory.CreateDirectory(Path.Combine(PlatformInfrastructure.RepositoryRoot, ".local", "test-logs")).FullName;
        var logPath = Path.Combine(logDirectory, $"{project}-{port}-{DateTime.UtcNow:yyyyMMddTHHmmssfff}.log");
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + dll);
        return new ServiceProcess(process, new Uri($"http://127.0.0.1:{port}/"), logPath);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    void Capture(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
            lock (_log)
            {
                try
                {
                    _log.WriteLine(line);
                }
                catch (ObjectDisposedException)
                {
                    // The last lines of a process being disposed; the tail in memory still has them.
                }
            }
        }
    }

    // The calling assembly sits in bin/<Configuration>/net10.0; the services were built with the same configuration.
    static string BuildConfiguration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A loopback port free at the time of the call, below Linux's ephemeral range (32768–60999). A port the OS hands
    /// out for "port 0" comes from that range, which every outgoing connection also draws its local port from: with
    /// dozens of test processes talking to PostgreSQL, RabbitMQ and Kafka, a service started on such a port a moment
    /// later could find it taken ("address already in use", seen on a fresh clone). Random within 20000–32767, never the
    /// same port twice in one process.
    /// </summary>
    public static int FreePort()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_768);
            lock (HandedOut)
            {
                if (!HandedOut.Add(port))
                {
                    continue;
                }
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }

        throw new InvalidOperationException("No free loopback port found in 20000–32767 after 200 attempts.");
    }
}
