using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Features;
using Mlops.Contracts.Inference;
using Mlops.Contracts.Monitoring;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;
using Npgsql;

// Events per second monitoring takes in from features.v1 and predictions.v1 (stored, joined, windows of the shipped
// size judged) side by side with the rate the same producer puts them on the topics.
//   dotnet run -c Release --project tests/benchmarks/Mlops.Monitoring.Benchmarks -- [predictions]
//   … -- pipeline [vectors, default 20000]: beside the pipeline it watches (PipelineBenchmark)
if (args.Length > 0 && args[0] == "pipeline")
{
    return await Mlops.Monitoring.Benchmarks.PipelineBenchmark.RunAsync(
        args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000);
}

var predictions = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
const string Model = "bench-model";
const string Version = "1.0.0";

var builder = TestHost.CreateBuilder("monitoring-benchmark");
builder.AddPlatformKafka();
using var host = builder.Build();
await host.StartAsync();
var producer = host.Services.GetRequiredService<IEventProducer>();
var featuresTopic = PlatformInfrastructure.UniqueName("bench-mon-features");
var predictionsTopic = PlatformInfrastructure.UniqueName("bench-mon-predictions");
await host.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([featuresTopic, predictionsTopic]);
Console.WriteLine($"machine: {Environment.ProcessorCount} cores; predictions: {predictions} (+ as many feature vectors)");

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
await monitoring.WaitUntilReadyAsync();

// The version's reference profile goes straight into monitoring's table (the registration path is covered by the tests).
var random = new Random(11);
await using var db = NpgsqlDataSource.Create(database);
await Eventually.WaitUntilAsync(async () =>
{
    await using var exists = db.CreateCommand("SELECT to_regclass('reference_profiles') IS NOT NULL");
    return await exists.ExecuteScalarAsync() is true;
}, "monitoring created its tables");
var profile = new ReferenceProfile
{
    TrainingRunId = Guid.NewGuid().ToString(),
    FeatureSetVersion = "bench",
    TrainingRows = 5000,
    MaxSample = 5000,
    Features = Vitals(random, 0).Keys.ToDictionary(k => k, _ => (IReadOnlyList<double>)[]),
    Predictions = Enumerable.Range(0, 5000).Select(_ => random.NextDouble()).ToList(),
};
var rows = Enumerable.Range(0, 5000).Select(_ => Vitals(random, 0)).ToList();
profile = profile with { Features = profile.Features.Keys.ToDictionary(k => k, k => (IReadOnlyList<double>)rows.Select(r => r[k]).ToList()) };
await using (var insert = db.CreateCommand("""
    INSERT INTO reference_profiles (model_name, model_version, training_run_id, feature_set_version, training_rows, profile) VALUES ($1, $2, $3, 'bench', 5000, $4::jsonb)
    """))
{
    insert.Parameters.Add(new() { Value = Model });
    insert.Parameters.Add(new() { Value = Version });
    insert.Parameters.Add(new() { Value = profile.TrainingRunId });
    insert.Parameters.Add(new() { Value = JsonSerializer.Serialize(profile, JsonSerializerOptions.Web) });
    await insert.ExecuteNonQueryAsync();
}

// Produce: feature vectors and the predictions that scored them, in blocks of 1,000 of each, as inference would.
var started = Stopwatch.StartNew();
var produce = Stopwatch.StartNew();
var now = DateTimeOffset.UtcNow;
for (var offset = 0; offset < predictions; offset += 1000)
{
    var block = Enumerable.Range(offset, Math.Min(1000, predictions - offset)).Select(i => (Entity: $"patient-{i % 500}", Values: Vitals(random, 0))).ToList();
    var vectors = await Task.WhenAll(block.Select(b => producer.ProduceAsync(featuresTopic, b.Entity, new FeatureVectorUpdated
    {
        EntityId = b.Entity,
        EntityType = "patient",
        FeatureSetVersion = "bench",
        Values = b.Values.ToDictionary(kv => kv.Key, kv => (double?)kv.Value),
        EventTime = now,
        ComputedAt = now,
    })));
    await Task.WhenAll(vectors.Select(v => producer.ProduceAsync(predictionsTopic, v.Subject, new PredictionMade
    {
        EntityId = v.Subject,
        ModelName = Model,
        ModelVersion = Version,
        Probability = random.NextDouble(),
        Uncertainty = 0,
        Fallback = false,
        FeatureEventTime = now,
        FeatureSetVersion = "bench",
        PredictedAt = now,
        FeatureEventId = v.Id,
        PredictionId = Guid.CreateVersion7().ToString(),
        Variant = "champion",
    })));
}

produce.Stop();
var events = 2 * predictions;
var produceRate = events / produce.Elapsed.TotalSeconds;

// Consumed: every event id is in monitoring's inbox (its effects committed with it).
await Eventually.WaitUntilAsync(async () =>
{
    await using var count = db.CreateCommand("SELECT count(*) FROM kafka_inbox");
    return (long)(await count.ExecuteScalarAsync())! >= events;
}, "monitoring consumed every event", TimeSpan.FromMinutes(20));
started.Stop();
var consumeRate = events / started.Elapsed.TotalSeconds;

var expectedWindows = predictions / 2000;
await Eventually.WaitUntilAsync(async () =>
{
    await using var count = db.CreateCommand("SELECT count(*) FROM drift_windows WHERE kind = 'count'");
    return (long)(await count.ExecuteScalarAsync())! >= expectedWindows;
}, "the count windows were judged", TimeSpan.FromMinutes(5));
var judged = started.Elapsed;

Console.WriteLine($"produced {events} events (features.v1 + predictions.v1) in {produce.Elapsed.TotalSeconds:F1} s = {produceRate:F0} events/s");
Console.WriteLine($"monitoring consumed them by {started.Elapsed.TotalSeconds:F1} s after the first was produced = {consumeRate:F0} events/s");
Console.WriteLine($"ratio consumed / produced: {consumeRate / produceRate:P1}");
Console.WriteLine($"{expectedWindows} count windows of 2,000 judged by {judged.TotalSeconds:F1} s");
await host.StopAsync();
return 0;

static Dictionary<string, double> Vitals(Random random, double shift) => new()
{
    ["heart_rate"] = 80 + shift + 10 * Gaussian(random),
    ["respiratory_rate"] = 16 + 3 * Gaussian(random),
    ["spo2"] = 96 + 1.5 * Gaussian(random),
    ["temperature"] = 37 + 0.5 * Gaussian(random),
    ["consciousness"] = random.NextDouble() < 0.1 ? 1 : 0,
};

static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
