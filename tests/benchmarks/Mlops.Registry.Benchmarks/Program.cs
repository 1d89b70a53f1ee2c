using System.Globalization;
using System.Text.Json;
using Mlops.Registry.Benchmarks;
using Mlops.Testing;
using Npgsql;

// Side by side in one run against the real PostgreSQL, interleaved round by round: Marten's event store as the
// registry uses it, and the baseline (plain INSERT / SELECT of the same rows).
// Usage: [appends per scenario, default 2000] [concurrent writers, default 8]
var appends = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2000;
var writers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 8;
const int LongStream = 10_000;
const int Batch = 500;
const int Streams = 1000;
const int Repeats = 15;

var schemaName = PlatformInfrastructure.UniqueName("bench").Replace('-', '_');
await using var dataSource = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("tests"));
var marten = await MartenSide.CreateAsync(dataSource, schemaName);
var baseline = new Baseline(dataSource, schemaName);
await baseline.CreateAsync();
var json = JsonSerializer.Serialize(MetricRecorded.Sample(0), new JsonSerializerOptions(JsonSerializerDefaults.Web));

try
{
    Console.WriteLine($"Registry event store benchmark (Marten): {appends} appends per scenario, {writers} concurrent writers, {Environment.ProcessorCount} cores, schema {schemaName}");

    // Warm-up: connections in the pool, plans cached, Marten's storage built.
    for (var i = 0; i < 50; i++)
    {
        await marten.AppendAsync("warmup", i, [MetricRecorded.Sample(i)]);
        await baseline.InsertAsync("warmup", i, json);
    }

    var single = await Measure.RatesAsync(appends,
        i => marten.AppendAsync("single", i, [MetricRecorded.Sample(i)]),
        i => baseline.InsertAsync("single", i + 1, json));
    var spread = await Measure.RatesAsync(appends,
        i => marten.AppendAsync($"spread-{i % Streams}", i / Streams, [MetricRecorded.Sample(i)]),
        i => baseline.InsertAsync($"spread-{i % Streams}", i / Streams + 1, json));
    var concurrent = await Measure.ConcurrentRatesAsync(appends, writers,
        (w, i) => marten.AppendAsync($"writer-{w}", i, [MetricRecorded.Sample(i)]),
        (w, i) => baseline.InsertAsync($"writer-{w}", i + 1, json));

    // A 10,000-event stream written in appends of 500 events; the baseline gets the same rows with the same
    // append times, and the as-of query reads both as of the first event of the append starting at 5,001.
    for (var i = 0; i < LongStream; i += Batch)
    {
        await marten.AppendAsync("long", i, Enumerable.Range(i, Batch).Select(n => (object)MetricRecorded.Sample(n)).ToList());
    }

    var written = await marten.LoadAsync("long");
    await baseline.InsertRowsAsync("long", written.Select(e => e.Version).ToArray(), written.Select(e => e.Timestamp).ToArray(), json);
    var middle = written[LongStream / 2].Timestamp;
    var asOfCount = written.Count(e => e.Timestamp <= middle);

    var load = await Measure.MediansAsync(Repeats,
        async () => Check(LongStream, (await marten.LoadAsync("long")).Count),
        async () => Check(LongStream, await baseline.ReadAsync("long", null)));
    var asOf = await Measure.MediansAsync(Repeats,
        async () => Check(asOfCount, (await marten.LoadAsync("long", middle)).Count),
        async () => Check(asOfCount, await baseline.ReadAsync("long", middle)));

    var c = CultureInfo.InvariantCulture;
    Console.WriteLine();
    Console.WriteLine($"{"scenario",-52} {"Marten",12} {"baseline",12} {"ratio",7}");
    Row("appends/s, one stream, 1 writer", single);
    Row($"appends/s, {Streams} streams round-robin, 1 writer", spread);
    Row($"appends/s, {writers} streams, {writers} concurrent writers", concurrent);
    Row($"load a {LongStream:N0}-event stream, ms (median of {Repeats})", load);
    Row($"as-of query ({asOfCount:N0} of {LongStream:N0} events), ms", asOf);
    Console.WriteLine();
    Console.WriteLine("ratio = Marten / baseline (appends/s: higher is better for Marten; ms: lower is better).");
    Console.WriteLine(string.Create(c,
        $"Concurrency gain ({writers} writers vs 1): Marten {concurrent.Store / single.Store:F2}x, baseline {concurrent.Baseline / single.Baseline:F2}x."));

    void Row(string name, (double Store, double Baseline) r) =>
        Console.WriteLine(string.Create(c, $"{name,-52} {r.Store,12:F1} {r.Baseline,12:F1} {r.Store / r.Baseline,7:F2}"));
}
finally
{
    await marten.DisposeAsync();
    await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{schemaName}\" CASCADE");
    await drop.ExecuteNonQueryAsync();
}

static void Check(int expected, int actual)
{
    if (actual != expected)
    {
        throw new InvalidOperationException($"Expected {expected} events, read {actual}.");
    }
}
