using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mlops.Kafka;
using Mlops.Testing;

namespace Mlops.Inference.Benchmarks;

/// <summary>
/// Batch inference over a dataset version vs the online path, in one run on the same rows: ingestion, the features
/// service and an inference pod as processes (shipped settings except databases, topics and the local model); a
/// ward of <c>patients</c> ingested with history, snapshotted as a dataset version; then
/// (1) a batch job scoring every patient at <c>times</c> times — rows/s from the POST until it succeeded — and
/// (2) the online path for a sample of the same (entity, time) pairs: the features service's point-in-time vector
/// (<c>GET /api/features/point-in-time/{id}</c>) and an inline prediction per row, from 16 concurrent clients — rows/s.
/// </summary>
internal static class BatchBenchmark
{
    const int OnlineClients = 16;

    static readonly string[] ModelFeatures = ["heart_rate_last_1h", "respiratory_rate_last_1h", "spo2_last_1h", "temperature_last_6h", "systolic_bp_last_1h"];

    public static async Task<int> RunAsync(int patients, int times, int onlineRows, string modelPath)
    {
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores (shared with other builds: compare the ratio, not the absolute figures); " +
            $"{patients} patients x {times} times = {patients * times} batch rows; online sample {onlineRows} rows from {OnlineClients} clients");
        var topics = new[] { "obs", "raw", "labels", "features", "dead", "chunks" }.ToDictionary(t => t, t => PlatformInfrastructure.UniqueName("bench-batch-" + t));
        var builder = TestHost.CreateBuilder("inference-batch-benchmark");
        builder.AddPlatformKafka();
        using (var host = builder.Build())
        {
            await host.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync(topics.Values, 3);
        }

        await using var registry = await StartEmptyRegistryAsync();
        await using var ingestion = IngestionProcess.Start(await PlatformInfrastructure.CreateDatabaseAsync("bench_batch_ingestion"), topics["obs"], topics["raw"], new Dictionary<string, string>
        {
            ["Kafka__DeadLetterTopic"] = topics["dead"],
            ["Logging__LogLevel__Default"] = "Warning",
        });
        await using var features = ServiceProcess.Start("services/features/Mlops.Features", new Dictionary<string, string>
        {
            ["ConnectionStrings__features"] = await PlatformInfrastructure.CreateDatabaseAsync("bench_batch_features"),
            ["Features__IngestionBaseAddress"] = ingestion.BaseAddress.ToString(),
            ["Features__Topics__Observations"] = topics["obs"],
            ["Features__Topics__Labels"] = topics["labels"],
            ["Features__Topics__Features"] = topics["features"],
            ["Features__Topics__ObservationGroup"] = PlatformInfrastructure.UniqueName("bench-stream"),
            ["Features__Topics__LabelGroup"] = PlatformInfrastructure.UniqueName("bench-labels"),
            ["Kafka__DeadLetterTopic"] = topics["dead"],
            ["Logging__LogLevel__Default"] = "Warning",
        });
        await Task.WhenAll(ingestion.WaitUntilReadyAsync(), features.WaitUntilReadyAsync());

        var inferenceEnvironment = new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Mlops.Inference.Batch"] = "Information",
            ["Inference__Streaming__Enabled"] = "false",
            ["Inference__PredictionLog__Topic"] = PlatformInfrastructure.UniqueName("bench-batch-log"),
            ["Inference__RegistryBaseAddress"] = registry.Address.ToString(),
            ["Inference__FeaturesBaseAddress"] = features.BaseAddress.ToString(),
            ["Inference__BatchJobs__Topic"] = topics["chunks"],
            ["Inference__BatchJobs__ConsumerGroup"] = PlatformInfrastructure.UniqueName("bench-batch"),
            ["Inference__LocalModels__0__Name"] = "deterioration",
            ["Inference__LocalModels__0__Version"] = "1",
            ["Inference__LocalModels__0__Path"] = modelPath,
            ["Inference__LocalModels__0__Sha256"] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(modelPath))),
        };
        for (var i = 0; i < ModelFeatures.Length; i++)
        {
            inferenceEnvironment[$"Inference__LocalModels__0__Features__{i}"] = ModelFeatures[i];
        }

        await using var inference = ServiceProcess.Start("services/inference/Mlops.Inference", inferenceEnvironment);
        await inference.WaitUntilReadyAsync();

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { Timeout = TimeSpan.FromMinutes(10) };
        var start = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-1);
        var run = Guid.NewGuid().ToString("N")[..8];
        var entities = await IngestWardAsync(http, ingestion.BaseAddress, patients, run, start);
        var dataset = await ReadJsonAsync(await http.PostAsJsonAsync(new Uri(ingestion.BaseAddress, "api/ingestion/datasets"), new { createdBy = "benchmark" }));
        var datasetVersion = dataset.GetProperty("version").GetString()!;
        var at = Enumerable.Range(0, times).Select(k => start.AddHours(3).AddMinutes(50.0 * k / Math.Max(1, times - 1))).ToArray();

        // (1) Batch: one job over the dataset version.
        var clock = Stopwatch.StartNew();
        var job = await ReadJsonAsync(await http.PostAsJsonAsync(new Uri(inference.BaseAddress, "api/inference/batch-jobs"),
            new { model = "deterioration", version = "1", datasetVersion, times = at.Select(t => t.ToString("O", CultureInfo.InvariantCulture)) }));
        var id = job.GetProperty("id").GetString()!;
        while (true)
        {
            job = JsonDocument.Parse(await http.GetStringAsync(new Uri(inference.BaseAddress, $"api/inference/batch-jobs/{id}"))).RootElement;
            var state = job.GetProperty("state").GetString();
            if (state == "failed")
            {
                throw new InvalidOperationException("the batch job failed: " + job.GetProperty("error").GetString());
            }

            if (state == "succeeded")
            {
                break;
            }

            await Task.Delay(50);
        }

        clock.Stop();
        var batchRows = job.GetProperty("rows").GetInt64();
        var batchRate = batchRows / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"batch job: {batchRows} rows in {clock.Elapsed.TotalSeconds:F1} s = {batchRate:F0} rows/s ({job.GetProperty("chunks").GetProperty("total").GetInt32()} chunks)");

        // (2) Online path for a sample of the same rows (every entity, spread over the times).
        var sample = Enumerable.Range(0, Math.Min(onlineRows, patients * times)).Select(i => (Entity: entities[i % patients], Time: at[i / patients % times])).ToArray();
        var next = -1;
        clock.Restart();
        await Task.WhenAll(Enumerable.Range(0, OnlineClients).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) is var i && i < sample.Length)
            {
                var (entity, time) = sample[i];
                var asOf = Uri.EscapeDataString(time.ToString("O", CultureInfo.InvariantCulture));
                var vector = JsonDocument.Parse(await http.GetStringAsync(new Uri(features.BaseAddress, $"api/features/point-in-time/{entity}?asOf={asOf}"))).RootElement;
                using var response = await http.PostAsJsonAsync(new Uri(inference.BaseAddress, "api/inference/models/deterioration/predict"),
                    new { entityId = entity, features = vector.GetProperty("values") });
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
            }
        })));
        clock.Stop();
        var onlineRate = sample.Length / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"online path (point-in-time vector + predict, {OnlineClients} clients): {sample.Length} rows in {clock.Elapsed.TotalSeconds:F1} s = {onlineRate:F0} rows/s");
        Console.WriteLine(FormattableString.Invariant($"ratio batch/online = {batchRate / onlineRate:F1}x rows/s"));
        return 0;
    }

    static async Task<List<string>> IngestWardAsync(HttpClient http, Uri ingestion, int patients, string run, DateTimeOffset start)
    {
        var random = new Random(20261203);
        var entities = new List<string>();
        var observations = new List<object>();
        for (var i = 0; i < patients; i++)
        {
            var entity = $"bench-{run}-{i:D5}";
            entities.Add(entity);
            foreach (var hours in new[] { 0, 3 })
            {
                var t = start.AddHours(hours);
                observations.Add(Observation($"hr-{hours}-{entity}", entity, "heart_rate", 60 + random.Next(60), "/min", t));
                observations.Add(Observation($"rr-{hours}-{entity}", entity, "respiratory_rate", 10 + random.Next(16), "/min", t));
                observations.Add(Observation($"spo2-{hours}-{entity}", entity, "spo2", 88 + random.Next(12), "%", t));
                observations.Add(Observation($"temp-{hours}-{entity}", entity, "temperature", Math.Round(36 + random.NextDouble() * 3, 1), "Cel", t));
                observations.Add(Observation($"sbp-{hours}-{entity}", entity, "systolic_bp", 85 + random.Next(60), "mm[Hg]", t));
            }
        }

        foreach (var block in observations.Chunk(5000))
        {
            (await http.PostAsJsonAsync(new Uri(ingestion, "api/ingestion/observations/batch"), block)).EnsureSuccessStatusCode();
        }

        return entities;
    }

    // History loaded today, available when measured (the point-in-time rule would hide it from yesterday's times otherwise).
    static object Observation(string id, string entity, string code, double value, string unit, DateTimeOffset eventTime) =>
        new { observationId = id, entityId = entity, code, value, unit, eventTime, availableTime = eventTime, sourceSystem = "benchmark" };

    static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode}: {body}");
        }

        return JsonDocument.Parse(body).RootElement;
    }

    /// <summary>A registry with no deployments and no versions, so the pod serves only its local model.</summary>
    static async Task<EmptyRegistry> StartEmptyRegistryAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{ServiceProcess.FreePort()}");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        app.MapGet("/api/registry/deployments", () => Results.Json(Array.Empty<object>()));
        await app.StartAsync();
        return new EmptyRegistry(app, new Uri(app.Urls.First() + "/"));
    }

    sealed record EmptyRegistry(WebApplication App, Uri Address) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }
}
