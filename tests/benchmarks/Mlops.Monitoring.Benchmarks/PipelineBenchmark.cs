using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Contracts.Features;
using Mlops.Contracts.Monitoring;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Monitoring.Benchmarks;

/// <summary>
/// Monitoring beside the pipeline it watches, in one run: feature vectors go onto a fresh <c>features.v1</c>, an
/// inference pod (its own process, shipped settings, the v1 test ensemble as a local model) scores them onto a fresh
/// <c>predictions.v1</c>, and monitoring (its own process, shipped settings) consumes both topics. Compared: the rate the
/// pipeline put events on the two topics (vectors + their predictions, until the last prediction was on the topic) with
/// the rate monitoring took the same events in (every event id in its inbox), both timed from the first vector.
/// </summary>
internal static class PipelineBenchmark
{
    const string Model = "deterioration";
    const string Version = "1";
    static readonly string[] Features = ["heart_rate", "respiratory_rate", "spo2", "temperature", "systolic_bp"];

    public static async Task<int> RunAsync(int vectors)
    {
        var builder = TestHost.CreateBuilder("monitoring-pipeline-benchmark");
        builder.AddPlatformKafka();
        using var host = builder.Build();
        await host.StartAsync();
        var producer = host.Services.GetRequiredService<IEventProducer>();
        var configs = host.Services.GetRequiredService<KafkaClientConfigFactory>();
        var featuresTopic = PlatformInfrastructure.UniqueName("bench-pipe-features");
        var predictionsTopic = PlatformInfrastructure.UniqueName("bench-pipe-predictions");
        await host.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([featuresTopic, predictionsTopic]);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; {vectors} feature vectors through inference (1 model) and monitoring");

        var database = await PlatformInfrastructure.CreateDatabaseAsync("bench_monitoring");
        await using var vhost = await RabbitMqVirtualHost.CreateAsync("bench-monitoring");
        await using var monitoring = ServiceProcess.Start("services/monitoring/Mlops.Monitoring", new Dictionary<string, string>
        {
            ["ConnectionStrings__monitoring"] = database,
            [RabbitMqVirtualHost.EnvironmentVariable] = vhost.Name,
            ["Monitoring__FeaturesTopic"] = featuresTopic,
            ["Monitoring__PredictionsTopic"] = predictionsTopic,
            ["Monitoring__ConsumerGroup"] = PlatformInfrastructure.UniqueName("bench-monitoring"),
            ["Logging__LogLevel__Default"] = "Warning",
        });
        await using var inference = ServiceProcess.Start("services/inference/Mlops.Inference", InferenceEnvironment(featuresTopic, predictionsTopic, vhost.Name));
        await monitoring.WaitUntilReadyAsync();
        await inference.WaitUntilReadyAsync();
        await using var db = NpgsqlDataSource.Create(database);
        await StoreProfileAsync(db);

        var random = new Random(5);
        var clock = Stopwatch.StartNew();
        // The reader watches predictions.v1 from the start, so the pipeline's time is when the last prediction reached the
        // topic, not when a reader started after the vectors caught up with it.
        var scoring = CountAsync(configs, predictionsTopic, vectors, clock, TimeSpan.FromMinutes(15));
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        for (var offset = 0; offset < vectors; offset += 1000)
        {
            await Task.WhenAll(Enumerable.Range(offset, Math.Min(1000, vectors - offset)).Select(i => producer.ProduceAsync(featuresTopic, $"patient-{i % 500}", new FeatureVectorUpdated
            {
                EntityId = $"patient-{i % 500}",
                EntityType = "patient",
                FeatureSetVersion = "vitals",
                Values = Vitals(random),
                EventTime = start.AddSeconds(i * 0.1),
                ComputedAt = DateTimeOffset.UtcNow,
            })));
        }

        var produced = clock.Elapsed;
        var (scored, pipeline) = await scoring;
        var events = 2L * vectors;
        await Eventually.WaitUntilAsync(async () =>
        {
            await using var count = db.CreateCommand("SELECT count(*) FROM kafka_inbox");
            return (long)(await count.ExecuteScalarAsync())! >= events;
        }, "monitoring consumed every vector and prediction", TimeSpan.FromMinutes(20));
        var consumed = clock.Elapsed;

        var pipelineRate = (vectors + scored) / pipeline.TotalSeconds;
        var consumeRate = events / consumed.TotalSeconds;
        Console.WriteLine($"vectors produced onto features.v1 by {produced.TotalSeconds:F1} s");
        Console.WriteLine($"pipeline: {vectors} vectors + {scored} predictions on the topics by {pipeline.TotalSeconds:F1} s = {pipelineRate:F0} events/s");
        Console.WriteLine($"monitoring: all {events} events in its inbox by {consumed.TotalSeconds:F1} s = {consumeRate:F0} events/s");
        Console.WriteLine($"ratio monitoring / pipeline: {consumeRate / pipelineRate:F2}");
        // Monitoring cannot take a prediction in before it is on the topic, so the ratio stays below 1 by this tail even
        // when monitoring keeps pace all along; a tail that does not grow with the burst is keeping up.
        Console.WriteLine($"monitoring finished {(consumed - pipeline).TotalSeconds:F1} s after the pipeline");
        await host.StopAsync();
        return 0;
    }

    static Dictionary<string, string> InferenceEnvironment(string features, string predictions, string vhost)
    {
        var model = Path.Combine(PlatformInfrastructure.RepositoryRoot, "tests", "models", "deterioration_ensemble_v1.onnx");
        var nowhere = $"http://127.0.0.1:{ServiceProcess.FreePort()}/";
        var environment = new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Warning",
            [RabbitMqVirtualHost.EnvironmentVariable] = vhost,
            ["Inference__RegistryBaseAddress"] = nowhere,
            ["Inference__FeaturesBaseAddress"] = nowhere,
            ["Inference__Streaming__FeaturesTopic"] = features,
            ["Inference__Streaming__PredictionsTopic"] = predictions,
            ["Inference__Streaming__ConsumerGroup"] = PlatformInfrastructure.UniqueName("bench-streaming"),
            ["Inference__LocalModels__0__Name"] = Model,
            ["Inference__LocalModels__0__Version"] = Version,
            ["Inference__LocalModels__0__Variant"] = "champion",
            ["Inference__LocalModels__0__Path"] = model,
            ["Inference__LocalModels__0__Sha256"] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(model))),
        };
        for (var i = 0; i < Features.Length; i++)
        {
            environment[$"Inference__LocalModels__0__Features__{i}"] = Features[i];
        }

        return environment;
    }

    /// <summary>The version's reference profile straight into monitoring's table (the registration path is covered by the tests).</summary>
    static async Task StoreProfileAsync(NpgsqlDataSource db)
    {
        await Eventually.WaitUntilAsync(async () =>
        {
            await using var exists = db.CreateCommand("SELECT to_regclass('reference_profiles') IS NOT NULL");
            return await exists.ExecuteScalarAsync() is true;
        }, "monitoring created its tables");
        var random = new Random(11);
        var rows = Enumerable.Range(0, 5000).Select(_ => Vitals(random)).ToList();
        var profile = new ReferenceProfile
        {
            TrainingRunId = Guid.NewGuid().ToString(),
            FeatureSetVersion = "vitals",
            TrainingRows = rows.Count,
            MaxSample = rows.Count,
            Features = Features.ToDictionary(f => f, f => (IReadOnlyList<double>)rows.Select(r => r[f]!.Value).ToList()),
            Predictions = Enumerable.Range(0, rows.Count).Select(_ => random.NextDouble()).ToList(),
        };
        await using var insert = db.CreateCommand("""
            INSERT INTO reference_profiles (model_name, model_version, training_run_id, feature_set_version, training_rows, profile) VALUES ($1, $2, $3, 'vitals', $4, $5::jsonb)
            """);
        insert.Parameters.Add(new() { Value = Model });
        insert.Parameters.Add(new() { Value = Version });
        insert.Parameters.Add(new() { Value = profile.TrainingRunId });
        insert.Parameters.Add(new() { Value = rows.Count });
        insert.Parameters.Add(new() { Value = JsonSerializer.Serialize(profile, JsonSerializerOptions.Web) });
        await insert.ExecuteNonQueryAsync();
    }

    static Dictionary<string, double?> Vitals(Random random) => new()
    {
        ["heart_rate"] = 80 + 12 * Gaussian(random),
        ["respiratory_rate"] = 16 + 3 * Gaussian(random),
        ["spo2"] = 96 + 1.5 * Gaussian(random),
        ["temperature"] = 37 + 0.5 * Gaussian(random),
        ["systolic_bp"] = 120 + 15 * Gaussian(random),
    };

    static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>How many records reached the topic, and when (on <paramref name="clock"/>) the last of them was read.</summary>
    static Task<(int Count, TimeSpan Last)> CountAsync(KafkaClientConfigFactory configs, string topic, int expected, Stopwatch clock, TimeSpan timeout) => Task.Run(() =>
    {
        var config = configs.CreateConsumerConfig(PlatformInfrastructure.UniqueName("bench-reader"), "bench-reader");
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(topic);
        var count = 0;
        var last = TimeSpan.Zero;
        var deadline = DateTime.UtcNow + timeout;
        while (count < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(50)) is { Message: not null })
            {
                count++;
                last = clock.Elapsed;
            }
        }

        consumer.Close();
        return (count, last);
    });
}
