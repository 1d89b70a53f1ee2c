using System.Globalization;
using Mlops.EventStore;
using Mlops.EventStore.Benchmarks;
using Mlops.Testing;
using Npgsql;

// Side by side in one run against the real PostgreSQL, interleaved round by round: the event store
// (PostgresEventStore) and the baseline (plain INSERT / SELECT of the same rows).
// Usage: [appends per scenario, default 2000] [concurrent writers, default 8]
var appends = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2000;
var writers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 8;
const int LongStream = 10_000;
const int Streams = 1000;
const int Repeats = 15;

var schemaName = PlatformInfrastructure.UniqueName("bench").Replace('-', '_');
await using var dataSource = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("tests"));
var schema = new EventStoreSchema(new EventStoreOptions { Schema = schemaName });
await schema.EnsureAsync(dataSource, CancellationToken.None);
var types = new EventTypeRegistry().Register<MetricRecorded>(publish: true);
var store = new PostgresEventStore(dataSource, schema, types, []);
var baseline = new Baseline(dataSource, schemaName);
await baseline.CreateAsync();
var json = types.Serialize(MetricRecorded.Sample(0));

try
{
    Console.WriteLine($"PostgreSQL event store benchmark: {appends} appends per scenario, {writers} concurrent writers, {Environment.ProcessorCount} cores, schema {schemaName}");

    // Warm-up: connections in the pool, plans cached.
    for (var i = 0; i < 50; i++)
    {
        await store.AppendAsync("warmup", ExpectedVersion.Any, [MetricRecorded.Sample(i)]);
        await baseline.InsertAsync("warmup", i, json);
    }

    var single = await Measure.RatesAsync(appends,
        i => store.AppendAsync("single", i, [MetricRecorded.Sample(i)]),
        i => baseline.InsertAsync("single", i + 1, json));
    var spread = await Measure.RatesAsync(appends,
        i => store.AppendAsync($"spread-{i % Streams}", i / Streams, [MetricRecorded.Sample(i)]),
        i => baseline.InsertAsync($"spread-{i % Streams}", i / Streams + 1, json));
    var concurrent = await Measure.ConcurrentRatesAsync(appends, writers,
        (w, i) => store.AppendAsync($"writer-{w}", i, [MetricRecorded.Sample(i)]),
        (w, i) => baseline.InsertAsync($"writer-{w}", i + 1, json));

    // A 10,000-event stream written in appends of 500 events (the baseline gets the same rows and timestamps);
    // the as-of query reads it as of the append that starts at event 5,001.
    DateTimeOffset middle = default;
    for (var i = 0; i < LongStream; i += 500)
    {
        var result = await store.AppendAsync("long", i, Enumerable.Range(i, 500).Select(n => (object)MetricRecorded.Sample(n)).ToList());
        if (i == LongStream / 2)
        {
            middle = result.Events[0].RecordedAt;
        }

        await baseline.InsertBatchAsync("long", i + 1, 500, json, result.Events[0].RecordedAt);
    }

    var load = await Measure.MediansAsync(Repeats,
        async () => Check(LongStream, (await store.LoadAsync("long")).Events.Count),
        async () => Check(LongStream, await baseline.ReadAsync("long", null)));
    var asOf = await Measure.MediansAsync(Repeats,
        async () => Check(LongStream / 2 + 500, (await store.LoadAsync("long", asOf: middle)).Events.Count),
        async () => Check(LongStream / 2 + 500, await baseline.ReadAsync("long", middle)));

    var c = CultureInfo.InvariantCulture;
    Console.WriteLine();
    Console.WriteLine($"{"scenario",-52} {"event store",12} {"baseline",12} {"ratio",7}");
    Row("appends/s, one stream, 1 writer", single);
    Row($"appends/s, {Streams} streams round-robin, 1 writer", spread);
    Row($"appends/s, {writers} streams, {writers} concurrent writers", concurrent);
    Row($"load a {LongStream:N0}-event stream, ms (median of {Repeats})", load);
    Row($"as-of query ({LongStream / 2 + 500:N0} of {LongStream:N0} events), ms", asOf);
    Console.WriteLine();
    Console.WriteLine("ratio = event store / baseline (appends/s: higher is better for the store; ms: lower is better).");
    Console.WriteLine(string.Create(c,
        $"Concurrency gain ({writers} writers vs 1): event store {concurrent.Store / single.Store:F2}x, baseline {concurrent.Baseline / single.Baseline:F2}x — appends are serialised by one advisory lock per schema (docs/registry.md)."));

    void Row(string name, (double Store, double Baseline) r) =>
        Console.WriteLine(string.Create(c, $"{name,-52} {r.Store,12:F1} {r.Baseline,12:F1} {r.Store / r.Baseline,7:F2}"));
}
finally
{
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
