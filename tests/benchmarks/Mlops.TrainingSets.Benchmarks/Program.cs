using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Kafka;
using Mlops.Testing;

// Point-in-time training sets built from an ingestion dataset version (observations read over HTTP, computed in
// memory) side by side with the same set from the features service's live store (its own PostgreSQL tables), on the
// same labels, in the same run; also checks that both give the same rows when nothing arrived in between.
//   dotnet run -c Release --project tests/benchmarks/Mlops.TrainingSets.Benchmarks -- [patients] [hours] [unlabelled-entities] [repeats]
//   dotnet run -c Release --project tests/benchmarks/Mlops.TrainingSets.Benchmarks -- snapshot [archive-rows] [ward-patients] [repeats]
//   (dataset snapshots of a whole large store against scoped ones: SnapshotBenchmark)
if (args is ["snapshot", ..])
{
    await Mlops.TrainingSets.Benchmarks.SnapshotBenchmark.RunAsync(args[1..]);
    return;
}

var patients = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300;
var hours = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 24;
var unlabelled = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2000;
var repeats = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3;

var builder = TestHost.CreateBuilder("training-sets-benchmark");
builder.AddPlatformKafka();
using var host = builder.Build();
await host.StartAsync();
var admin = host.Services.GetRequiredService<KafkaTopicAdmin>();

var topics = new
{
    Raw = PlatformInfrastructure.UniqueName("bench-ts-raw"),
    Accepted = PlatformInfrastructure.UniqueName("bench-ts-obs"),
    Rejected = PlatformInfrastructure.UniqueName("bench-ts-rejected"),
    Features = PlatformInfrastructure.UniqueName("bench-ts-features"),
    Labels = PlatformInfrastructure.UniqueName("bench-ts-labels"),
};
await admin.EnsureTopicsAsync([topics.Raw, topics.Accepted, topics.Rejected, topics.Features, topics.Labels]);
await using var ingestion = IngestionProcess.Start(await PlatformInfrastructure.CreateDatabaseAsync("bench_ts_ingestion"), topics.Accepted, topics.Raw, new Dictionary<string, string>
{
    ["Ingestion__RejectedTopic"] = topics.Rejected,
    ["Logging__LogLevel__Default"] = "Warning",
});
var featuresDatabase = await PlatformInfrastructure.CreateDatabaseAsync("bench_ts_features");
await using var features = ServiceProcess.Start("services/features/Mlops.Features", new Dictionary<string, string>
{
    ["ConnectionStrings__features"] = featuresDatabase,
    ["Features__IngestionBaseAddress"] = ingestion.BaseAddress.ToString(),
    ["Features__Topics__Observations"] = topics.Accepted,
    ["Features__Topics__Features"] = topics.Features,
    ["Features__Topics__Labels"] = topics.Labels,
    ["Features__Topics__ObservationGroup"] = PlatformInfrastructure.UniqueName("bench-ts-stream"),
    ["Features__Topics__LabelGroup"] = PlatformInfrastructure.UniqueName("bench-ts-labels"),
    ["Logging__LogLevel__Default"] = "Warning",
});
await ingestion.WaitUntilReadyAsync();
await features.WaitUntilReadyAsync();

// History loaded today with its available times (vitals known when taken, lactate an hour after the sample), every
// 30 minutes; labels every 6 hours; plus entities the label never names (the rest of the raw store).
using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
var random = new Random(5);
var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-5).ToUnixTimeSeconds());
(string Code, string Unit, double Low, double Span)[] vitals =
    [("heart_rate", "/min", 55, 70), ("respiratory_rate", "/min", 10, 16), ("spo2", "%", 88, 12), ("systolic_bp", "mm[Hg]", 90, 60), ("temperature", "Cel", 36, 3)];
var observations = new List<object>();
void Observe(string entity, int step, string code, string unit, double value, DateTimeOffset at, DateTimeOffset known) => observations.Add(new
{
    observationId = $"{entity}-{code}-{step}", entityId = entity, code, value = Math.Round(value, 2), unit, eventTime = at, availableTime = known, sourceSystem = "benchmark",
});
for (var p = 0; p < patients + unlabelled; p++)
{
    var entity = p < patients ? $"patient-{p:D5}" : $"other-{p:D5}";
    var steps = p < patients ? hours * 2 : 2;
    for (var s = 0; s < steps; s++)
    {
        var at = start.AddMinutes(30 * s);
        foreach (var (code, unit, low, span) in vitals)
        {
            Observe(entity, s, code, unit, low + span * random.NextDouble(), at, at);
        }

        if (s % 12 == 0)
        {
            Observe(entity, s, "lactate", "mmol/L", 0.5 + 4 * random.NextDouble(), at, at.AddHours(1));
        }
    }
}

var load = Stopwatch.StartNew();
foreach (var batch in observations.Chunk(5000))
{
    (await http.PostAsJsonAsync(new Uri(ingestion.BaseAddress, "api/ingestion/observations/batch"), batch)).EnsureSuccessStatusCode();
}

var labelName = $"bench-{Guid.NewGuid():N}"[..14];
var labels = 0;
for (var p = 0; p < patients; p++)
{
    for (var h = 6; h <= hours; h += 6)
    {
        var label = new { labelId = $"l-{p}-{h}", entityId = $"patient-{p:D5}", name = labelName, value = random.Next(2), eventTime = start.AddHours(h) };
        (await http.PostAsJsonAsync(new Uri(features.BaseAddress, "api/features/labels"), label)).EnsureSuccessStatusCode();
        labels++;
    }
}

// The live store must hold everything before it is compared with the snapshot.
await using (var featuresDb = Npgsql.NpgsqlDataSource.Create(featuresDatabase))
{
    await Eventually.WaitUntilAsync(async () =>
    {
        await using var count = featuresDb.CreateCommand("SELECT count(*) FROM feature_observations");
        return (long)(await count.ExecuteScalarAsync())! >= observations.Count;
    }, "every observation reached the feature store", TimeSpan.FromMinutes(20));
}

load.Stop();
var created = await http.PostAsJsonAsync(new Uri(ingestion.BaseAddress, "api/ingestion/datasets"), new { createdBy = "benchmark" });
var dataset = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetString()!;
Console.WriteLine($"machine: {Environment.ProcessorCount} cores; {patients} labelled patients × {hours} h, {unlabelled} other entities: " +
    $"{observations.Count} observations, {labels} labels (loaded and streamed into the live store in {load.Elapsed.TotalSeconds:F1} s)");

async Task<(double Seconds, List<string> Rows)> BuildAsync(object request)
{
    var watch = Stopwatch.StartNew();
    using var response = await http.PostAsJsonAsync(new Uri(features.BaseAddress, "api/features/training-sets"), request);
    response.EnsureSuccessStatusCode();
    var rows = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    return (watch.Elapsed.TotalSeconds, rows);
}

var live = new List<double>();
var fromDataset = new List<double>();
List<string> liveRows = [], datasetRows = [];
for (var r = 0; r < repeats; r++)
{
    // Alternated, so a busy moment on the machine hits both.
    var a = await BuildAsync(new { labelName });
    var b = await BuildAsync(new { labelName, datasetVersion = dataset });
    live.Add(a.Seconds);
    fromDataset.Add(b.Seconds);
    (liveRows, datasetRows) = (a.Rows, b.Rows);
}

var different = liveRows.Zip(datasetRows).Count(pair => pair.First != pair.Second) + Math.Abs(liveRows.Count - datasetRows.Count);
double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
Console.WriteLine($"live store:      {liveRows.Count} rows, median {Median(live):F2} s = {liveRows.Count / Median(live):F0} rows/s ({string.Join(", ", live.Select(s => s.ToString("F2", CultureInfo.InvariantCulture)))})");
Console.WriteLine($"dataset version: {datasetRows.Count} rows, median {Median(fromDataset):F2} s = {datasetRows.Count / Median(fromDataset):F0} rows/s ({string.Join(", ", fromDataset.Select(s => s.ToString("F2", CultureInfo.InvariantCulture)))})");
Console.WriteLine($"ratio dataset/live time: {Median(fromDataset) / Median(live):F2}; rows differing between the two: {different}");
await host.StopAsync();
