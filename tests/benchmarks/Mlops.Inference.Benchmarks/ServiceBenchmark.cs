using System.Diagnostics;
using System.Globalization;
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
    readonly Workload _workload;

    /// <summary>Where each served version is routed: the first is the champion (what unnamed requests get).</summary>
    public static readonly string[] Variants = ["local", "challenger", "shadow"];

    ServiceBenchmark(Process process, Uri baseAddress, Uri grpcAddress, Workload workload)
    {
        _process = process;
        _workload = workload;
        _client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = baseAddress };
        GrpcAddress = grpcAddress;
    }

    /// <summary>The service's gRPC port (HTTP/2 only), the Open Inference Protocol's gRPC transport.</summary>
    public Uri GrpcAddress { get; }

    /// <summary>A client over loopback HTTP/1.1, as the benchmark's own.</summary>
    public HttpClient Http => _client;

    /// <summary>The most memory the service process has held resident so far (Linux VmHWM).</summary>
    public long PeakResidentBytes => ProcessUsage.PeakResidentBytes(_process);

    /// <summary>CPU time (user + system) the service process has used so far.</summary>
    public TimeSpan CpuTime => ProcessUsage.CpuTime(_process);

    /// <summary>One inline prediction of workload row <paramref name="seed"/>, from the given variant (null: the default route).</summary>
    public async Task<HttpResponseMessage> PredictAsync(int seed, string? variant = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/inference/predict")
        {
            Content = new StringContent(_workload.InlineRequestJson(seed), Encoding.UTF8, "application/json"),
        };
        if (variant is not null)
        {
            request.Headers.Add(InferenceVariantHeader, variant);
        }

        var response = await _client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    /// <summary>The service serving the 5-input test ensemble (the stream, log and protocol scenarios).</summary>
    public static Task<ServiceBenchmark> StartAsync(string modelPath, bool batching, TimeSpan maxQueueDelay, bool predictionLog = true, TimeSpan? logWriteWait = null) =>
        StartAsync([new ServedModel("1", modelPath, Workload.Vitals)], new BatchSettings(batching, maxQueueDelay), predictionLog, logWriteWait);

    /// <summary>
    /// The service serving <paramref name="models"/> as versions of <c>deterioration</c>: the first as champion, a second
    /// as challenger, a third as shadow (variants of one model in one pod, as a canary with a shadow runs them).
    /// </summary>
    public static async Task<ServiceBenchmark> StartAsync(IReadOnlyList<ServedModel> models, BatchSettings batching, bool predictionLog = true, TimeSpan? logWriteWait = null)
    {
        var dll = Path.Combine(PlatformInfrastructure.RepositoryRoot, "services", "inference", "Mlops.Inference", "bin", "Release", "net10.0", "Mlops.Inference.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build the service first: dotnet build -c Release services/inference/Mlops.Inference ({dll})");
        }

        if (models.Count < 1 || models.Count > Variants.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(models), $"one to {Variants.Length} versions");
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
        start.Environment["Inference__Batching__Enabled"] = batching.Enabled.ToString();
        // Unset settings stay as shipped (appsettings.json and the options' defaults), so a run measures the shipped batcher.
        if (batching.MaxBatchSize is { } maxBatch)
        {
            start.Environment["Inference__Batching__MaxBatchSize"] = maxBatch.ToString(CultureInfo.InvariantCulture);
        }

        if (batching.MaxQueueDelay is { } delay)
        {
            start.Environment["Inference__Batching__MaxQueueDelay"] = delay.ToString("c", CultureInfo.InvariantCulture);
        }

        if (batching.Instances is { } instances)
        {
            start.Environment["Inference__Batching__Instances"] = instances.ToString(CultureInfo.InvariantCulture);
        }

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
        for (var m = 0; m < models.Count; m++)
        {
            var model = models[m];
            start.Environment[$"Inference__LocalModels__{m}__Name"] = "deterioration";
            start.Environment[$"Inference__LocalModels__{m}__Version"] = model.Version;
            start.Environment[$"Inference__LocalModels__{m}__Variant"] = Variants[m];
            start.Environment[$"Inference__LocalModels__{m}__Path"] = model.Path;
            start.Environment[$"Inference__LocalModels__{m}__Sha256"] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(model.Path)));
            for (var i = 0; i < model.Workload.FeatureCount; i++)
            {
                start.Environment[$"Inference__LocalModels__{m}__Features__{i}"] = model.Workload.Features[i];
            }
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + dll);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceBenchmark(process, new Uri($"http://127.0.0.1:{port}/"), new Uri($"http://127.0.0.1:{grpcPort}/"), models[0].Workload);
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
        for (var m = 0; m < models.Count; m++)
        {
            // Each version answers its own route, so a scenario addressing it measures that version and no other.
            var variant = m == 0 ? null : Variants[m];
            var version = $"\"modelVersion\":\"{models[m].Version}\"";
            await Eventually.WaitUntilAsync(async () =>
            {
                using var response = await service.PredictAsync(0, variant);
                return response.IsSuccessStatusCode && (await response.Content.ReadAsStringAsync()).Contains(version, StringComparison.Ordinal);
            }, $"version {models[m].Version} answers as {Variants[m]}");
        }

        return service;
    }

    public async Task<Measurement> RunAsync(string scenario, int clients, TimeSpan duration, string? variant = null)
    {
        await DriveAsync(clients, TimeSpan.FromSeconds(1), variant);
        var cpu = CpuTime;
        var (latencies, count, elapsed) = await DriveAsync(clients, duration, variant);
        return Measurement.From(scenario, latencies, count, elapsed) with
        {
            PeakResidentBytes = PeakResidentBytes,
            CpuMicrosecondsPerPrediction = (CpuTime - cpu).TotalMicroseconds / Math.Max(1, count),
        };
    }

    async Task<(List<double>, long, TimeSpan)> DriveAsync(int clients, TimeSpan duration, string? variant)
    {
        var clock = Stopwatch.StartNew();
        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var latencies = new List<double>();
            var seed = c;
            while (clock.Elapsed < duration)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/inference/predict")
                {
                    Content = new StringContent(_workload.InlineRequestJson(seed++), Encoding.UTF8, "application/json"),
                };
                if (variant is not null)
                {
                    request.Headers.Add(InferenceVariantHeader, variant);
                }

                var started = Stopwatch.GetTimestamp();
                using var response = await _client.SendAsync(request);
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

    /// <summary>The service's variant header (InferenceApi.ModelVariantHeader).</summary>
    const string InferenceVariantHeader = "X-Model-Variant";

    static int FreePort() => Mlops.Testing.ServiceProcess.FreePort();
}

/// <summary>One version the service serves: its artifact and the rows requests send it.</summary>
internal sealed record ServedModel(string Version, string Path, Workload Workload);

/// <summary>The batcher settings a run sets; null leaves the shipped value.</summary>
internal sealed record BatchSettings(bool Enabled, TimeSpan? MaxQueueDelay = null, int? MaxBatchSize = null, int? Instances = null);
