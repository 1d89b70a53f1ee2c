using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Kafka;
using Mlops.Testing;
using Npgsql;

namespace Mlops.TrainingSets.Benchmarks;

/// <summary>
/// What a dataset version costs on a raw store that keeps its history: a snapshot of the whole store (the baseline)
/// against one scoped to a ward's source system, and to that source and its event-time range, in the same run. The
/// archive is inserted by SQL (it stands for years of earlier data); the ward goes through ingestion's HTTP API.
///   dotnet Mlops.TrainingSets.Benchmarks.dll snapshot [archive-rows=2000000] [ward-patients=300] [repeats=3]
/// </summary>
public static class SnapshotBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var archiveRows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2_000_000;
        var patients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 300;
        var repeats = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;

        var builder = TestHost.CreateBuilder("snapshot-benchmark");
        builder.AddPlatformKafka();
        using var host = builder.Build();
        await host.StartAsync();
        var admin = host.Services.GetRequiredService<KafkaTopicAdmin>();
        var (raw, accepted, rejected) = (PlatformInfrastructure.UniqueName("bench-snap-raw"), PlatformInfrastructure.UniqueName("bench-snap-obs"), PlatformInfrastructure.UniqueName("bench-snap-rejected"));
        await admin.EnsureTopicsAsync([raw, accepted, rejected]);
        var database = await PlatformInfrastructure.CreateDatabaseAsync("bench_snapshot_ingestion");
        await using var ingestion = IngestionProcess.Start(database, accepted, raw, new Dictionary<string, string>
        {
            ["Ingestion__RejectedTopic"] = rejected,
            ["Logging__LogLevel__Default"] = "Warning",
        });
        await ingestion.WaitUntilReadyAsync();
        using var http = new HttpClient { BaseAddress = ingestion.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };

        // The ward first, through the API (it also creates the schema), then the archive behind it by SQL.
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(-24).ToUnixTimeSeconds());
        var random = new Random(3);
        var ward = new List<object>();
        for (var p = 0; p < patients; p++)
        {
            for (var s = 0; s < 48; s++)
            {
                foreach (var (code, unit, low, span) in new[] { ("heart_rate", "/min", 55.0, 70.0), ("respiratory_rate", "/min", 10.0, 16.0), ("spo2", "%", 88.0, 12.0) })
                {
                    var at = start.AddMinutes(30 * s);
                    ward.Add(new { observationId = $"ward-{p}-{code}-{s}", entityId = $"ward-{p:D5}", code, value = Math.Round(low + span * random.NextDouble(), 2), unit, eventTime = at, availableTime = at, sourceSystem = "ward-bench" });
                }
            }
        }

        foreach (var batch in ward.Chunk(5000))
        {
            (await http.PostAsJsonAsync("api/ingestion/observations/batch", batch)).EnsureSuccessStatusCode();
        }

        var fill = Stopwatch.StartNew();
        await using (var db = NpgsqlDataSource.Create(database))
        {
            await using var insert = db.CreateCommand("""
                INSERT INTO observations (observation_id, entity_id, entity_type, code, value, unit, original_value, event_time, source_system, content_hash)
                SELECT 'archive-' || g, 'archived-' || (g % 20000), 'patient', 'heart_rate', 60 + g % 50, '/min', (60 + g % 50)::text,
                       now() - interval '400 days' + (g % 500000) * interval '1 minute', 'archive', 'x'
                  FROM generate_series(1, $1) g
                """);
            insert.CommandTimeout = 0;
            insert.Parameters.Add(new NpgsqlParameter { Value = archiveRows });
            await insert.ExecuteNonQueryAsync();
            await using var analyze = db.CreateCommand("ANALYZE observations");
            await analyze.ExecuteNonQueryAsync();
        }

        fill.Stop();
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; raw store: {archiveRows} archived observations (inserted in {fill.Elapsed.TotalSeconds:F0} s) + a ward of {patients} patients, {ward.Count} observations");

        async Task<(double Seconds, long Rows)> SnapshotAsync(object request)
        {
            var watch = Stopwatch.StartNew();
            using var response = await http.PostAsJsonAsync("api/ingestion/datasets", request);
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            return (watch.Elapsed.TotalSeconds, body.GetProperty("rowCount").GetInt64());
        }

        var runs = new Dictionary<string, List<(double Seconds, long Rows)>> { ["whole store"] = [], ["ward source"] = [], ["ward source + since"] = [] };
        for (var r = 0; r < repeats; r++)
        {
            // Alternated, so a busy moment on the machine hits each; a new description each time (the name is the content's).
            runs["whole store"].Add(await SnapshotAsync(new { createdBy = "benchmark" }));
            runs["ward source"].Add(await SnapshotAsync(new { createdBy = "benchmark", sources = new[] { "ward-bench" } }));
            runs["ward source + since"].Add(await SnapshotAsync(new { createdBy = "benchmark", sources = new[] { "ward-bench" }, since = start }));
        }

        double Median(IEnumerable<double> values) => values.Order().ElementAt(repeats / 2);
        var baseline = Median(runs["whole store"].Select(x => x.Seconds));
        foreach (var (name, measured) in runs)
        {
            var median = Median(measured.Select(x => x.Seconds));
            Console.WriteLine($"{name,-20} {measured[0].Rows,9} rows  median {median:F2} s ({string.Join(", ", measured.Select(x => x.Seconds.ToString("F2", CultureInfo.InvariantCulture)))})  " +
                $"= {baseline / median:F1}× faster than the whole store");
        }

        await host.StopAsync();
    }
}
