using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Mlops.Testing;

namespace Mlops.Inference.Benchmarks;

/// <summary>The inference service as its own process on loopback, driven by N concurrent HTTP clients.</summary>
internal sealed class ServiceBenchmark : IAsyncDisposable
{
    readonly Process _process;
    readonly HttpClient _client;

    ServiceBenchmark(Process process, Uri baseAddress, Uri grpcAddress)
    {
        _process = process;
        _client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = baseAddress };
        GrpcAddress = grpcAddress;
    }

    /// <summary>The service's gRPC port (HTTP/2 only), the Open Inference Protocol's gRPC transport.</summary>
    public Uri GrpcAddress { get; }

    /// <summary>A client over loopback HTTP/1.1, as the benchmark's own.</summary>
    public HttpClient Http => _client;

    public static async Task<ServiceBenchmark> StartAsync(string modelPath, bool batching, TimeSpan maxQueueDelay, bool predictionLog = true, TimeSpan? logWriteWait = null)
    {
        var dll = Path.Combine(PlatformInfrastructure.RepositoryRoot, "services", "inference", "Mlops.Inference", "bin", "Release", "net10.0", "Mlops.Inference.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build the service first: dotnet build -c Release services/inference/Mlops.Inference ({dll})");
        }

        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { ArgumentList = { dll }, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        // A port of its own, not the shipped one, so a platform running beside the benchmark does not collide.
        var grpcPort = FreePort();
        start.Environment["Inference__Grpc__Url"] = $"http://127.0.0.1:{grpcPort}";
        start.Environment["PLATFORM_ENV_FILE"] = PlatformInfrastructure.EnvFilePath;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Inference__Streaming__Enabled"] = "false";
        start.Environment["Inference__Batching__Enabled"] = batching.ToString();
        start.Environment["Inference__Batching__MaxBatchSize"] = "64";
        start.Environment["Inference__Batching__MaxQueueDelay"] = maxQueueDelay.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["OnnxRuntime__IntraOpNumThreads"] = "1";
        // The prediction log is on as shipped; its topic is the benchmark's own, so no consumer of the real one sees these.
        start.Environment["Inference__PredictionLog__Enabled"] = predictionLog.ToString();
        if (logWriteWait is { } wait)
        {
            start.Environment["Inference__PredictionLog__WriteWait"] = wait.ToString();
        }

        start.Environment["Inference__PredictionLog__Topic"] = "bench-prediction-log";

        // The model under test is a local artifact; registry and features point where nothing listens, so no
        // deployment or cache warm-up from a running platform interferes.
        var nowhere = $"http://127.0.0.1:{FreePort()}/";
        start.Environment["Inference__RegistryBaseAddress"] = nowhere;
        start.Environment["Inference__FeaturesBaseAddress"] = nowhere;
        start.Environment["Inference__LocalModels__0__Name"] = "deterioration";
        start.Environment["Inference__LocalModels__0__Version"] = "1";
        start.Environment["Inference__LocalModels__0__Path"] = modelPath;
        start.Environment["Inference__LocalModels__0__Sha256"] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(modelPath)));
        string[] features = ["heart_rate", "respiratory_rate", "spo2", "temperature", "systolic_bp"];
        for (var i = 0; i < features.Length; i++)
        {
            start.Environment[$"Inference__LocalModels__0__Features__{i}"] = features[i];
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + dll);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceBenchmark(process, new Uri($"http://127.0.0.1:{port}/"), new Uri($"http://127.0.0.1:{grpcPort}/"));
        await Eventually.WaitUntilAsync(async () =>
        {
            try
            {
                var body = await service._client.GetStringAsync("/api/inference/model");
                return body.Contains("\"Serving\"", StringComparison.Ordinal);
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "the inference service serves its model");
        return service;
    }

    public async Task<Measurement> RunAsync(string scenario, int clients, TimeSpan duration)
    {
        await DriveAsync(clients, TimeSpan.FromSeconds(1));
        var (latencies, count, elapsed) = await DriveAsync(clients, duration);
        return Measurement.From(scenario, latencies, count, elapsed);
    }

    async Task<(List<double>, long, TimeSpan)> DriveAsync(int clients, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var latencies = new List<double>();
            var seed = c;
            while (clock.Elapsed < duration)
            {
                using var content = new StringContent(Workload.InlineRequestJson(seed++), Encoding.UTF8, "application/json");
                var started = Stopwatch.GetTimestamp();
                using var response = await _client.PostAsync("/api/inference/predict", content);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            return latencies;
        })));
        var all = perClient.SelectMany(l => l).ToList();
        return (all, all.Count, clock.Elapsed);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    static int FreePort() => Mlops.Testing.ServiceProcess.FreePort();
}
