using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Mlops.Features.Definitions;
using Mlops.Kafka;
using Mlops.ServiceDefaults.Metrics;
using Mlops.Testing;
using Npgsql;

/// <summary>
/// The online store at a million entities: the features service (its own process, shipped settings) over an online
/// store seeded with one vector of the shipped feature set per entity, read over HTTP by 16 clients. Reports the
/// service's resident memory after each phase, read latency and throughput, and how often its cache answered:
/// <list type="number">
/// <item>a sweep reading every entity once, in random order (the cache cannot hold them all; memory must stay bounded);</item>
/// <item>a hot set: 90 % of reads over 10 % of the entities, the rest over all (as a ward's current patients are read);</item>
/// <item>uniform reads over all entities (the worst case for any cache);</item>
/// <item>beside them, the same clients against a trivial Kestrel endpoint answering one vector's bytes.</item>
/// </list>
/// Arguments: [entities=1000000] [seconds per phase=20] [cache MB: the shipped limit unless given] [lineage ids per vector=20].
/// </summary>
static class OnlineScale
{
    const int Clients = 16;

    public static async Task RunAsync(KafkaTopicAdmin admin, string[] args)
    {
        var entities = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        var cacheMegabytes = args.Length > 2 ? args[2] : null;
        var idsPerVector = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 20;
        var definitions = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "shipped", "features.json"), optional: false)
            .Build()
            .GetSection(FeatureDefinitions.SectionName)
            .Get<FeatureDefinitions>() ?? throw new InvalidOperationException("features.json has no Features section");
        Console.WriteLine($"online store at scale: {entities:N0} entities × {definitions.FeatureNames.Count} features ({definitions.Version}), " +
            $"{idsPerVector} lineage ids each; {Clients} clients, {seconds} s per phase; cache limit {cacheMegabytes ?? "as shipped"} MB");

        var connectionString = await PlatformInfrastructure.CreateDatabaseAsync("bench_features_scale");
        var topics = new[] { "obs", "features", "labels" }.Select(t => PlatformInfrastructure.UniqueName($"bench-scale-{t}")).ToArray();
        await admin.EnsureTopicsAsync(topics);
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__features"] = connectionString,
            ["Features__Topics__Observations"] = topics[0],
            ["Features__Topics__Features"] = topics[1],
            ["Features__Topics__Labels"] = topics[2],
            ["Features__Topics__ObservationGroup"] = PlatformInfrastructure.UniqueName("bench-scale-stream"),
            ["Features__Topics__LabelGroup"] = PlatformInfrastructure.UniqueName("bench-scale-labels"),
            ["Logging__LogLevel__Default"] = "Warning",
        };
        if (cacheMegabytes is not null)
        {
            environment["Features__OnlineCache__SizeLimitMegabytes"] = cacheMegabytes;
        }

        try
        {
            await using var features = ServiceProcess.Start("services/features/Mlops.Features", environment);
            await MeasureAsync(features, connectionString, definitions, entities, seconds, idsPerVector);
        }
        finally
        {
            await PlatformInfrastructure.DropDatabaseAsync(connectionString);
        }
    }

    static async Task MeasureAsync(ServiceProcess features, string connectionString, FeatureDefinitions definitions, int entities, int seconds, int idsPerVector)
    {
        await features.WaitUntilReadyAsync();
        await using var database = NpgsqlDataSource.Create(connectionString);
        await Eventually.WaitUntilAsync(async () =>
        {
            await using var exists = database.CreateCommand("SELECT to_regclass('online_vectors') IS NOT NULL");
            return (bool)(await exists.ExecuteScalarAsync())!;
        }, "the features service created its tables", TimeSpan.FromMinutes(1));

        var seeding = Stopwatch.StartNew();
        await SeedAsync(database, definitions, entities, idsPerVector);
        seeding.Stop();
        await using (var size = database.CreateCommand("SELECT pg_total_relation_size('online_vectors')"))
        {
            Console.WriteLine($"seeded {entities:N0} vectors in {seeding.Elapsed.TotalSeconds:F0} s; online_vectors {(long)(await size.ExecuteScalarAsync())! / 1048576.0:F0} MB in PostgreSQL");
        }

        Console.WriteLine($"features RSS idle: {Megabytes(features.ResidentBytes)} MB (peak {Megabytes(features.PeakResidentBytes)} MB)");

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var online = new Uri(features.BaseAddress, "api/features/online/");
        var sample = await http.GetByteArrayAsync(new Uri(online, Entity(0)));
        await using var trivial = LoopbackApp.Create(quiet: true);
        trivial.MapGet("/online/{entityId}", (string entityId) => Results.Bytes(sample, "application/json"));
        var trivialAddress = new Uri(await trivial.StartLoopbackAsync(), "online/");
        Console.WriteLine($"one vector's JSON: {sample.Length:N0} bytes");

        // 1. Every entity once, in a random order shared out among the clients.
        var order = Enumerable.Range(0, entities).ToArray();
        new Random(42).Shuffle(order);
        var next = -1;
        var databaseName = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        var sweep = await ReadAsync(http, online, features, databaseName, TimeSpan.MaxValue, _ =>
        {
            var i = Interlocked.Increment(ref next);
            return i < order.Length ? order[i] : -1;
        });
        Report("sweep, every entity once", sweep, features);

        // 2. The hot set, then 3. uniform; each after a warm-up of a quarter of its time, and each beside the trivial endpoint.
        var hot = Math.Max(1, entities / 10);
        Func<Random, int> hotPick = random => random.Next(10) < 9 ? random.Next(hot) : random.Next(entities);
        Func<Random, int> uniformPick = random => random.Next(entities);
        foreach (var (name, pick) in new[] { ("hot set (90 % of reads over 10 % of entities)", hotPick), ("uniform over all entities", uniformPick) })
        {
            await ReadAsync(http, online, features, databaseName, TimeSpan.FromSeconds(seconds / 4.0), pick);
            var phase = await ReadAsync(http, online, features, databaseName, TimeSpan.FromSeconds(seconds), pick);
            Report(name, phase, features);
        }

        var baseline = await ReadAsync(http, trivialAddress, null, databaseName, TimeSpan.FromSeconds(seconds), uniformPick);
        Report("trivial Kestrel endpoint (one vector's bytes)", baseline, null);
        Console.WriteLine($"features peak RSS: {Megabytes(features.PeakResidentBytes)} MB (goal <= 2048 MB at 1,000,000 entities)");
    }

    // Server-side, in chunks so progress shows: a vector per entity with the shipped set's names and a value each (a
    // double of full precision, as the calculator's means are), and lineage ids shaped like the platform's. The
    // notification trigger is off while seeding: nothing is cached yet, and a million notifications would only queue.
    static async Task SeedAsync(NpgsqlDataSource database, FeatureDefinitions definitions, int entities, int idsPerVector)
    {
        const string InsertSql = """
            INSERT INTO online_vectors (entity_id, feature_set_version, event_time, computed_at, feature_values, triggering_observation_id, known_at, observation_ids)
            SELECT 'patient-' || lpad(i::text, 7, '0'), $1, now(), now(),
                   (SELECT jsonb_object_agg(n, random() * 200 + i * 0) FROM unnest($2::text[]) n),
                   'obs-' || i || '-0', now(),
                   ARRAY(SELECT 'obs-' || i || '-' || k || '-' || md5(i::text || k::text) FROM generate_series(0, $3 - 1) k)
            FROM generate_series($4::int, $5::int) i
            """;
        await using (var off = database.CreateCommand("ALTER TABLE online_vectors DISABLE TRIGGER online_vectors_changed"))
        {
            await off.ExecuteNonQueryAsync();
        }

        try
        {
            const int Chunk = 50_000;
            for (var first = 0; first < entities; first += Chunk)
            {
                await using var insert = database.CreateCommand(InsertSql);
                insert.CommandTimeout = 600;
                insert.Parameters.Add(new NpgsqlParameter { Value = definitions.Version });
                insert.Parameters.Add(new NpgsqlParameter { Value = definitions.FeatureNames.ToArray() });
                insert.Parameters.Add(new NpgsqlParameter { Value = idsPerVector });
                insert.Parameters.Add(new NpgsqlParameter { Value = first });
                insert.Parameters.Add(new NpgsqlParameter { Value = Math.Min(entities, first + Chunk) - 1 });
                await insert.ExecuteNonQueryAsync();
            }
        }
        finally
        {
            await using var on = database.CreateCommand("ALTER TABLE online_vectors ENABLE TRIGGER online_vectors_changed");
            await on.ExecuteNonQueryAsync();
        }
    }

    sealed record Phase(
        int Reads, double Seconds, double P50, double P99, double Max, long CacheHits, long CacheMisses, double CacheMegabytes, double ServiceCpuMs, double PostgresCpuMs);

    // Every phase's clients draw their own entities (a warm-up must not have read exactly what its phase reads).
    static int s_seed;

    // Closed loop: each client reads the entity its pick gives (−1: done) until the time is up.
    static async Task<Phase> ReadAsync(HttpClient http, Uri baseAddress, ServiceProcess? features, string database, TimeSpan duration, Func<Random, int> pick)
    {
        (long Hits, long Misses, long CacheBytes)? before = features is null ? null : await ScrapeAsync(http, features);
        var serviceCpu = features?.CpuTime ?? TimeSpan.Zero;
        var postgresCpu = await PostgresCpu.SnapshotAsync([database]);
        var latencies = new List<double>[Clients];
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(Interlocked.Increment(ref s_seed));
            var own = latencies[client] = new List<double>(100_000);
            while (total.Elapsed < duration && pick(random) is var entity and >= 0)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(new Uri(baseAddress, Entity(entity)));
                await response.Content.ReadAsByteArrayAsync();
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"reading {Entity(entity)} answered {(int)response.StatusCode}");
                }

                own.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })));
        total.Stop();
        var all = latencies.SelectMany(l => l).Order().ToArray();
        var postgresMs = PostgresCpu.Between(postgresCpu, await PostgresCpu.SnapshotAsync([database]), database);
        var serviceMs = ((features?.CpuTime ?? TimeSpan.Zero) - serviceCpu).TotalMilliseconds;
        (long Hits, long Misses, long CacheBytes)? after = features is null ? null : await ScrapeAsync(http, features);
        return new Phase(all.Length, total.Elapsed.TotalSeconds, all[all.Length / 2], all[(int)(all.Length * 0.99)], all[^1],
            (after?.Hits ?? 0) - (before?.Hits ?? 0), (after?.Misses ?? 0) - (before?.Misses ?? 0), (after?.CacheBytes ?? 0) / 1048576.0,
            serviceMs, postgresMs);
    }

    static void Report(string name, Phase phase, ServiceProcess? features)
    {
        var lookups = phase.CacheHits + phase.CacheMisses;
        var cache = features is null ? "" :
            $"; cache hits {(lookups == 0 ? 0 : (double)phase.CacheHits / lookups):P1}, cache {phase.CacheMegabytes:F0} MB (estimated); features RSS {Megabytes(features.ResidentBytes)} MB; " +
            $"CPU per read: features {phase.ServiceCpuMs / phase.Reads * 1000:F0} µs, its PostgreSQL {phase.PostgresCpuMs / phase.Reads * 1000:F0} µs";
        Console.WriteLine($"{name}: {phase.Reads:N0} reads in {phase.Seconds:F1} s = {phase.Reads / phase.Seconds:F0} reads/s, " +
            $"p50 {phase.P50:F3} ms, p99 {phase.P99:F3} ms, max {phase.Max:F1} ms{cache}");
    }

    // The service's own counters, from its Prometheus endpoint (read as the registry and monitoring read other services').
    static async Task<(long Hits, long Misses, long CacheBytes)> ScrapeAsync(HttpClient http, ServiceProcess features)
    {
        var samples = await PrometheusScrape.ReadAsync(http, PrometheusScrape.MetricsUri(features.BaseAddress.ToString()), TimeSpan.FromSeconds(30), CancellationToken.None);
        var lookups = samples.Where(s => s.Name == "mlops_features_online_cache_lookups_total").ToList();
        return ((long)lookups.Where(s => s.Labels.GetValueOrDefault("hit") == "true").Sum(s => s.Value),
            (long)lookups.Where(s => s.Labels.GetValueOrDefault("hit") != "true").Sum(s => s.Value),
            (long)samples.Where(s => s.Name == "mlops_features_online_cache_size_bytes").Sum(s => s.Value));
    }

    static string Entity(int i) => $"patient-{i:D7}";

    static string Megabytes(long bytes) => (bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture);
}
