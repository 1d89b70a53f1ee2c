using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Contracts.Features;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;

namespace Mlops.Inference.Benchmarks;

/// <summary>
/// Streaming scoring: feature vectors produced onto a fresh topic, scored by an inference pod (its own process, the
/// shipped settings except topics, group and the local models) onto a fresh predictions topic. Measured: vectors/s from
/// the first produce until the last prediction was read, with the pod's streaming batch at 1 and at the shipped size,
/// side by side with the raw broker moving the same number of envelope-sized records in the same run.
/// </summary>
internal static class StreamingBenchmark
{
    public static async Task<int> RunAsync(int vectors, int models, string modelPath)
    {
        var builder = TestHost.CreateBuilder("inference-streaming-benchmark");
        builder.AddPlatformKafka();
        using var host = builder.Build();
        await host.StartAsync();
        var producer = host.Services.GetRequiredService<IEventProducer>();
        var admin = host.Services.GetRequiredService<KafkaTopicAdmin>();
        var configs = host.Services.GetRequiredService<KafkaClientConfigFactory>();
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; {vectors} feature vectors, {models} model(s) served (each scores every vector)");

        var rawTopic = PlatformInfrastructure.UniqueName("bench-raw");
        await admin.EnsureTopicsAsync([rawTopic]);
        var payload = Encoding.UTF8.GetBytes(new string('x', 480));
        var raw = Stopwatch.StartNew();
        await ProduceInBlocksAsync(vectors, i => producer.ProduceRawAsync(rawTopic, $"patient-{i % 500}", payload));
        var rawConsumed = Count(configs, rawTopic, vectors, TimeSpan.FromMinutes(5));
        raw.Stop();
        var rawRate = rawConsumed / raw.Elapsed.TotalSeconds;
        Console.WriteLine($"raw broker produce+consume: {rawConsumed} records in {raw.Elapsed.TotalSeconds:F1} s = {rawRate:F0} records/s");

        var rates = new List<(int Batch, double Rate)>();
        foreach (var batch in new[] { 1, 256 })
        {
            var features = PlatformInfrastructure.UniqueName("bench-features");
            var predictions = PlatformInfrastructure.UniqueName("bench-predictions");
            await admin.EnsureTopicsAsync([features, predictions]);
            await using var pod = await StartPodAsync(modelPath, models, batch, features, predictions);
            var run = Stopwatch.StartNew();
            var start = DateTimeOffset.UtcNow.AddHours(-1);
            await ProduceInBlocksAsync(vectors, i => producer.ProduceAsync(features, $"patient-{i % 500}", Vector(i, start)));
            var produced = run.Elapsed;
            var scored = Count(configs, predictions, vectors * models, TimeSpan.FromMinutes(15));
            run.Stop();
            var rate = vectors / run.Elapsed.TotalSeconds;
            rates.Add((batch, rate));
            Console.WriteLine($"inference streaming, batch {batch,3}: {vectors} vectors produced in {produced.TotalSeconds:F1} s, {scored} predictions read after {run.Elapsed.TotalSeconds:F1} s " +
                $"= {rate:F0} vectors/s ({rate * models:F0} predictions/s)");
            if (scored < vectors * models)
            {
                Console.WriteLine($"  incomplete: {scored} of {vectors * models} predictions; pod output tail:\n{pod.Tail(40)}");
            }
        }

        Console.WriteLine();
        foreach (var (batch, rate) in rates)
        {
            Console.WriteLine($"batch {batch,3}: streaming / raw broker = {rate / rawRate:P1}");
        }

        Console.WriteLine($"batch 256 / batch 1 = {rates[1].Rate / rates[0].Rate:F2}×");
        await host.StopAsync();
        return 0;
    }

    static FeatureVectorUpdated Vector(int i, DateTimeOffset start)
    {
        var row = Workload.Vitals.Rows(i % 97 + 1).AsSpan((i % 97) * Workload.Vitals.FeatureCount, Workload.Vitals.FeatureCount);
        return new FeatureVectorUpdated
        {
            EntityId = $"patient-{i % 500}",
            EntityType = "patient",
            FeatureSetVersion = "vitals",
            Values = new Dictionary<string, double?>
            {
                ["heart_rate"] = row[0],
                ["respiratory_rate"] = row[1],
                ["spo2"] = row[2],
                ["temperature"] = row[3],
                ["systolic_bp"] = row[4],
            },
            EventTime = start.AddSeconds(i),
            ComputedAt = DateTimeOffset.UtcNow,
            TriggeringObservationId = $"bench-{i}",
        };
    }

    static async Task ProduceInBlocksAsync(int count, Func<int, Task> produce)
    {
        for (var offset = 0; offset < count; offset += 1000)
        {
            await Task.WhenAll(Enumerable.Range(offset, Math.Min(1000, count - offset)).Select(produce));
        }
    }

    static async Task<ServiceProcess> StartPodAsync(string modelPath, int models, int batch, string features, string predictions)
    {
        // Registry and features point where nothing listens: no deployment or cache warm-up from a running platform.
        var nowhere = $"http://127.0.0.1:{ServiceProcess.FreePort()}/";
        var environment = new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Warning",
            ["Inference__RegistryBaseAddress"] = nowhere,
            ["Inference__FeaturesBaseAddress"] = nowhere,
            ["Inference__Streaming__FeaturesTopic"] = features,
            ["Inference__Streaming__PredictionsTopic"] = predictions,
            ["Inference__Streaming__ConsumerGroup"] = PlatformInfrastructure.UniqueName("bench-streaming"),
            ["Inference__Streaming__MaxBatchSize"] = batch.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(modelPath)));
        string[] names = ["heart_rate", "respiratory_rate", "spo2", "temperature", "systolic_bp"];
        for (var m = 0; m < models; m++)
        {
            environment[$"Inference__LocalModels__{m}__Name"] = m == 0 ? "deterioration" : $"deterioration-{m}";
            environment[$"Inference__LocalModels__{m}__Version"] = "1";
            environment[$"Inference__LocalModels__{m}__Path"] = modelPath;
            environment[$"Inference__LocalModels__{m}__Sha256"] = sha;
            for (var i = 0; i < names.Length; i++)
            {
                environment[$"Inference__LocalModels__{m}__Features__{i}"] = names[i];
            }
        }

        var pod = ServiceProcess.Start("services/inference/Mlops.Inference", environment);
        await pod.WaitUntilReadyAsync();
        return pod;
    }

    static int Count(KafkaClientConfigFactory configs, string topic, int expected, TimeSpan timeout)
    {
        var config = configs.CreateConsumerConfig(PlatformInfrastructure.UniqueName("bench-reader"), "bench-reader");
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(topic);
        var count = 0;
        var deadline = DateTime.UtcNow + timeout;
        while (count < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { Message: not null })
            {
                count++;
            }
        }

        consumer.Close();
        return count;
    }
}
