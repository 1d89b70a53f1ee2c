using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Contracts.Features;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;

// Observations per second through ingestion → features → features.v1, side by side with the raw broker (a plain
// produce/consume loop on a topic with the same settings), and online-store read latency beside a trivial Kestrel
// endpoint's.
//   dotnet run -c Release --project tests/benchmarks/Mlops.Features.Benchmarks -- [observations] [raw-messages]
// The online store at scale (a million entities in a process of bounded size) is a mode of its own: see OnlineScale.
//   dotnet run -c Release --project tests/benchmarks/Mlops.Features.Benchmarks -- online-scale [entities] [seconds] [cache MB]
var builder = TestHost.CreateBuilder("features-benchmark");
builder.AddPlatformKafka();
using var host = builder.Build();
await host.StartAsync();
var producer = host.Services.GetRequiredService<IEventProducer>();
var admin = host.Services.GetRequiredService<KafkaTopicAdmin>();
var configs = host.Services.GetRequiredService<KafkaClientConfigFactory>();
if (args.Length > 0 && args[0] == "online-scale")
{
    await OnlineScale.RunAsync(admin, args[1..]);
    await host.StopAsync();
    return 0;
}

var observations = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5_000;
var rawMessages = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000;

var codes = new[] { ("heart_rate", "/min", 60.0, 60.0), ("respiratory_rate", "/min", 10.0, 20.0), ("spo2", "%", 88.0, 12.0), ("systolic_bp", "mm[Hg]", 90.0, 60.0), ("temperature", "Cel", 36.0, 3.0) };
Console.WriteLine($"machine: {Environment.ProcessorCount} cores; observations: {observations}; raw messages: {rawMessages}");

// 1. Raw broker: produce then consume the same number of envelope-sized records on a fresh 3-partition topic.
var rawTopic = PlatformInfrastructure.UniqueName("bench-raw");
await admin.EnsureTopicsAsync([rawTopic]);
var payload = Encoding.UTF8.GetBytes(new string('x', 420));
var raw = Stopwatch.StartNew();
for (var offset = 0; offset < rawMessages; offset += 1000)
{
    await Task.WhenAll(Enumerable.Range(offset, Math.Min(1000, rawMessages - offset)).Select(i => producer.ProduceRawAsync(rawTopic, $"patient-{i % 200}", payload)));
}

var rawConsumed = ConsumeCount(configs, rawTopic, rawMessages, TimeSpan.FromMinutes(5));
raw.Stop();
var rawRate = rawConsumed / raw.Elapsed.TotalSeconds;
Console.WriteLine($"raw broker produce+consume: {rawConsumed} records in {raw.Elapsed.TotalSeconds:F1} s = {rawRate:F0} records/s");

// 2. Ingestion alone: its HTTP batch accept (1,000 observations a request, bodies serialized beforehand) with 1 and 4
// concurrent senders, on a database and topics of its own that nothing consumes, with the CPU it and its PostgreSQL
// backends spend per observation.
var aloneConnection = await PlatformInfrastructure.CreateDatabaseAsync("bench_ingestion_alone");
var aloneDatabase = new Npgsql.NpgsqlConnectionStringBuilder(aloneConnection).Database!;
var aloneTopic = PlatformInfrastructure.UniqueName("bench-obs-alone");
await admin.EnsureTopicsAsync([aloneTopic]);
await using (var alone = IngestionProcess.Start(aloneConnection, aloneTopic, PlatformInfrastructure.UniqueName("bench-obs-alone-raw"), new Dictionary<string, string>
{
    ["Ingestion__RejectedTopic"] = PlatformInfrastructure.UniqueName("bench-obs-alone-rejected"),
    ["Logging__LogLevel__Default"] = "Warning",
}))
{
    await alone.WaitUntilReadyAsync();
    using var sender = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
    var batchUri = new Uri(alone.BaseAddress, "api/ingestion/observations/batch");
    // Warmed as a running service is: ten batches first, so tiered compilation has optimized the hot paths.
    for (var warm = 0; warm < 10; warm++)
    {
        await PostBatchAsync(sender, batchUri, BatchBody(-10_000 + warm * 1_000, 1_000, "alone-warm"), 1_000);
    }

    foreach (var clients in new[] { 1, 4 })
    {
        var bodies = Enumerable.Range(0, (observations + 999) / 1000)
            .Select(b => (Body: BatchBody(b * 1000, Math.Min(1000, observations - b * 1000), $"alone-c{clients}"), Count: Math.Min(1000, observations - b * 1000)))
            .ToArray();
        var next = -1;
        var cpuBefore = alone.CpuTime;
        var postgresBefore = await PostgresCpu.SnapshotAsync([aloneDatabase]);
        var timer = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            for (var b = Interlocked.Increment(ref next); b < bodies.Length; b = Interlocked.Increment(ref next))
            {
                await PostBatchAsync(sender, batchUri, bodies[b].Body, bodies[b].Count);
            }
        })));
        timer.Stop();
        var postgresMs = PostgresCpu.Between(postgresBefore, await PostgresCpu.SnapshotAsync([aloneDatabase]), aloneDatabase);
        Console.WriteLine(
            $"ingestion alone, HTTP batch accept, {clients} sender(s): {observations / timer.Elapsed.TotalSeconds:F0} obs/s; CPU per observation: " +
            $"ingestion {(alone.CpuTime - cpuBefore).TotalMilliseconds / observations:F3} ms, its PostgreSQL {postgresMs / observations:F3} ms (goal >= 50,000 obs/s)");
    }

    Console.WriteLine($"peak RSS: ingestion alone {alone.PeakResidentBytes / 1048576.0:F0} MB");
}

// 3. The pipeline: ingestion and features as real processes with their own databases and topics.
var topics = new
{
    Raw = PlatformInfrastructure.UniqueName("bench-obs-raw"),
    Accepted = PlatformInfrastructure.UniqueName("bench-obs"),
    Rejected = PlatformInfrastructure.UniqueName("bench-obs-rejected"),
    Features = PlatformInfrastructure.UniqueName("bench-features"),
    Labels = PlatformInfrastructure.UniqueName("bench-labels"),
};
await admin.EnsureTopicsAsync([topics.Raw, topics.Accepted, topics.Rejected, topics.Features, topics.Labels]);
await using var ingestion = IngestionProcess.Start(await PlatformInfrastructure.CreateDatabaseAsync("bench_ingestion"), topics.Accepted, topics.Raw, new Dictionary<string, string>
{
    ["Ingestion__RejectedTopic"] = topics.Rejected,
    ["Logging__LogLevel__Default"] = "Warning",
});
var featuresDatabase = await PlatformInfrastructure.CreateDatabaseAsync("bench_features");
await using var features = ServiceProcess.Start("services/features/Mlops.Features", new Dictionary<string, string>
{
    ["ConnectionStrings__features"] = featuresDatabase,
    ["Features__Topics__Observations"] = topics.Accepted,
    ["Features__Topics__Features"] = topics.Features,
    ["Features__Topics__Labels"] = topics.Labels,
    ["Features__Topics__ObservationGroup"] = PlatformInfrastructure.UniqueName("bench-stream"),
    ["Features__Topics__LabelGroup"] = PlatformInfrastructure.UniqueName("bench-labels"),
    ["Logging__LogLevel__Default"] = "Warning",
});
await ingestion.WaitUntilReadyAsync();
await features.WaitUntilReadyAsync();

using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
var pipeline = Stopwatch.StartNew();
for (var offset = 0; offset < observations; offset += 1000)
{
    var count = Math.Min(1000, observations - offset);
    await PostBatchAsync(http, new Uri(ingestion.BaseAddress, "api/ingestion/observations/batch"), BatchBody(offset, count, "bench"), count);
}

var ingested = pipeline.Elapsed;
// Done when every observation is in the features store: its vector was published in the same transaction.
// (Features publishes one vector per touched entity per transaction, so vectors are fewer than observations.)
await using (var featuresDb = Npgsql.NpgsqlDataSource.Create(featuresDatabase))
{
    await Eventually.WaitUntilAsync(async () =>
    {
        await using var count = featuresDb.CreateCommand("SELECT count(*) FROM feature_observations");
        try
        {
            return (long)(await count.ExecuteScalarAsync())! >= observations;
        }
        catch (Npgsql.PostgresException)
        {
            return false;
        }
    }, "every observation reached the feature store", TimeSpan.FromMinutes(15));
}

pipeline.Stop();
var vectors = ConsumeCount(configs, topics.Features, int.MaxValue, TimeSpan.FromSeconds(10));
var pipelineRate = observations / pipeline.Elapsed.TotalSeconds;
Console.WriteLine($"ingestion HTTP accept of {observations} observations: {ingested.TotalSeconds:F1} s = {observations / ingested.TotalSeconds:F0} obs/s");
Console.WriteLine($"pipeline ingestion → features → features.v1: {observations} observations in {pipeline.Elapsed.TotalSeconds:F1} s = {pipelineRate:F0} obs/s ({vectors} vector updates published)");
Console.WriteLine($"ratio pipeline / raw broker: {pipelineRate / rawRate:P1}");

// 4. Online store reads over HTTP on loopback, sequential and with 16 concurrent clients.
var entities = Enumerable.Range(0, 200).Select(i => $"patient-{i}").ToArray();
foreach (var entity in entities.Take(20))
{
    (await http.GetAsync(new Uri(features.BaseAddress, $"api/features/online/{entity}"))).EnsureSuccessStatusCode(); // warm
}

// The baseline in the same run: a trivial Kestrel endpoint (minimal API, loopback, same HTTP client) answering one
// entity's real online vector as fixed bytes — what serving a vector costs with nothing but the HTTP stack.
var sample = await http.GetByteArrayAsync(new Uri(features.BaseAddress, $"api/features/online/{entities[0]}"));
await using var trivial = LoopbackApp.Create(quiet: true);
trivial.MapGet("/online/{entityId}", (string entityId) => Results.Bytes(sample, "application/json"));
var trivialAddress = await trivial.StartLoopbackAsync();

var baselineSequential = await MeasureReadsAsync(http, new Uri(trivialAddress, "online/"), entities, clients: 1, readsPerClient: 5_000);
var baselineConcurrent = await MeasureReadsAsync(http, new Uri(trivialAddress, "online/"), entities, clients: 16, readsPerClient: 500);
var sequential = await MeasureReadsAsync(http, new Uri(features.BaseAddress, "api/features/online/"), entities, clients: 1, readsPerClient: 5_000);
var concurrent = await MeasureReadsAsync(http, new Uri(features.BaseAddress, "api/features/online/"), entities, clients: 16, readsPerClient: 500);
Console.WriteLine($"trivial Kestrel endpoint ({sample.Length} bytes), 1 client:   p50 {baselineSequential.P50:F3} ms, p99 {baselineSequential.P99:F3} ms, {baselineSequential.Throughput:F0} reads/s");
Console.WriteLine($"trivial Kestrel endpoint ({sample.Length} bytes), 16 clients: p50 {baselineConcurrent.P50:F3} ms, p99 {baselineConcurrent.P99:F3} ms, {baselineConcurrent.Throughput:F0} reads/s");
Console.WriteLine($"online read, 1 client:   p50 {sequential.P50:F3} ms, p99 {sequential.P99:F3} ms, {sequential.Throughput:F0} reads/s");
Console.WriteLine($"online read, 16 clients: p50 {concurrent.P50:F3} ms, p99 {concurrent.P99:F3} ms, {concurrent.Throughput:F0} reads/s");
Console.WriteLine($"ratio online read / trivial endpoint throughput: 1 client {sequential.Throughput / baselineSequential.Throughput:F2}, 16 clients {concurrent.Throughput / baselineConcurrent.Throughput:F2} (goal >= 0.5 at 16 clients, p99 <= 1.5 ms)");

// 5. The first read after another replica changed the vector: a committed write (as a second replica's streaming would
// make it) notifies this process, which then reads that entity through from PostgreSQL once.
await using (var featuresDb = Npgsql.NpgsqlDataSource.Create(featuresDatabase))
{
    var afterChange = new double[1_000];
    for (var i = 0; i < afterChange.Length; i++)
    {
        await using (var touch = featuresDb.CreateCommand("UPDATE online_vectors SET computed_at = clock_timestamp() WHERE entity_id = $1"))
        {
            touch.Parameters.Add(new Npgsql.NpgsqlParameter { Value = entities[i % entities.Length] });
            await touch.ExecuteNonQueryAsync();
        }

        await Task.Delay(5); // the notification's delivery, so the read below is the read-through, not a stale hit
        var started = Stopwatch.GetTimestamp();
        using var response = await http.GetAsync(new Uri(features.BaseAddress, $"api/features/online/{entities[i % entities.Length]}"));
        await response.Content.ReadAsByteArrayAsync();
        afterChange[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    Array.Sort(afterChange);
    Console.WriteLine($"online read right after another writer changed the vector, 1 client: p50 {afterChange[afterChange.Length / 2]:F3} ms, p99 {afterChange[(int)(afterChange.Length * 0.99)]:F3} ms");
}

Console.WriteLine($"peak RSS: ingestion {ingestion.PeakResidentBytes / 1048576.0:F0} MB, features {features.PeakResidentBytes / 1048576.0:F0} MB");
await host.StopAsync();
return 0;

// The batch API's body for observations [first, first + count): five vitals over 200 patients, ids unique per run.
byte[] BatchBody(int first, int count, string tag) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Enumerable.Range(first, count).Select(i =>
{
    var (code, unit, low, span) = codes[(i % codes.Length + codes.Length) % codes.Length];
    return new
    {
        observationId = $"{tag}-{i}-{Guid.NewGuid():N}",
        entityId = $"patient-{(i % 200 + 200) % 200}",
        code,
        value = low + span * (((i * 7919) % 100 + 100) % 100) / 100.0,
        unit,
        // 50 ms apart from six hours ago: 432,000 observations before any reaches the present.
        eventTime = DateTimeOffset.UtcNow.AddHours(-6).AddMilliseconds(i * 50.0),
        sourceSystem = "benchmark",
    };
}), System.Text.Json.JsonSerializerOptions.Web);

// Every observation must be accepted: a refusal is cheap and would flatter the figure, and the pipeline stage would
// then wait for it in the feature store until its timeout.
static async Task PostBatchAsync(HttpClient http, Uri uri, byte[] body, int count)
{
    using var content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } };
    using var response = await http.PostAsync(uri, content);
    response.EnsureSuccessStatusCode();
    var receipt = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
    if (receipt.GetProperty("accepted").GetInt32() is var accepted && accepted != count)
    {
        var text = receipt.ToString();
        throw new InvalidOperationException($"{accepted} of {count} accepted: {text[..Math.Min(400, text.Length)]}");
    }
}

static int ConsumeCount(KafkaClientConfigFactory configs, string topic, int expected, TimeSpan timeout)
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

static async Task<(double P50, double P99, double Throughput)> MeasureReadsAsync(HttpClient http, Uri baseAddress, string[] entities, int clients, int readsPerClient)
{
    var latencies = new double[clients * readsPerClient];
    var total = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
    {
        for (var i = 0; i < readsPerClient; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(new Uri(baseAddress, entities[(client * 31 + i) % entities.Length]));
            await response.Content.ReadAsByteArrayAsync();
            latencies[client * readsPerClient + i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
    })));
    total.Stop();
    Array.Sort(latencies);
    return (latencies[latencies.Length / 2], latencies[(int)(latencies.Length * 0.99)], latencies.Length / total.Elapsed.TotalSeconds);
}
