using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Contracts.Features;
using Mlops.Contracts.Inference;
using Mlops.Contracts.Ingestion;
using Mlops.EndToEnd.Benchmarks;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;

// Observation → prediction latency: observations POSTed one per request to ingestion at a steady open-loop rate, each
// matched by its id to the prediction it triggered on predictions.v1 (ingestion → observations.v1 → features →
// features.v1 → inference → predictions.v1), timed with this process's clock from the moment the observation was due to
// the moment its prediction was read. Beside it in the same run: the raw broker round trip at the same rate.
//   dotnet run -c Release --project tests/benchmarks/Mlops.EndToEnd.Benchmarks -- [obs/s 1000] [seconds 60] [patients 5000] [warm-up seconds 10] [group-commit on|off] [windows on|off] [event-time speed 1]
// "off" sets ingestion's Ingestion:GroupCommit:Enabled to false: every request its own transaction, as before the group
// commit existed — the comparison for it with the same build. The sixth, "off", sets Features:EntityWindows:Enabled to
// false: every streamed batch reads its entities' windows from the database, as before the window cache existed.
var rate = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60;
var patients = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5000;
var warmupSeconds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 10;
var groupCommit = args.Length <= 4 || args[4] != "off";
var entityWindows = args.Length <= 5 || args[5] != "off";
// Event time runs this many times faster than the wall clock (1: every observation is stamped "now"). The leak check
// uses 60: its 30 minutes then cover 30 hours of event time, so every patient's history fills the features' 24-hour
// horizon and the services reach the steady state a long-running deployment has — a process that still grows then
// leaks, while one that grows because each patient's history does within the first day is only filling up.
var eventSpeed = args.Length > 6 ? double.Parse(args[6], CultureInfo.InvariantCulture) : 1;
const double GoalP99Ms = 250;
const double StallMs = 100;

var builder = TestHost.CreateBuilder("e2e-latency-benchmark");
builder.AddPlatformKafka();
using var host = builder.Build();
await host.StartAsync();
var producer = host.Services.GetRequiredService<IEventProducer>();
var admin = host.Services.GetRequiredService<KafkaTopicAdmin>();
var configs = host.Services.GetRequiredService<KafkaClientConfigFactory>();
Console.WriteLine($"machine: {Environment.ProcessorCount} cores; {rate:F0} obs/s for {seconds} s after a {warmupSeconds} s warm-up at the same rate; {patients} patients; " +
    $"ingestion group commit {(groupCommit ? "on (shipped)" : "off")}; features entity windows {(entityWindows ? "on (shipped)" : "off")}; event time {eventSpeed}× the wall clock");

// 1. Baseline: one broker hop at the same rate.
// A minute of it is enough for its percentiles; a 30-minute leak-check run need not spend another 30 on the baseline.
var raw = await RawBrokerBaseline.RunAsync(producer, admin, configs, rate, Math.Min(seconds, 60), patients);
Console.WriteLine($"raw broker produce → consume: sent {raw.Sent} at {raw.SentRate:F0}/s, received {raw.Received}: {raw.Latency}");

// 2. The pipeline.
await using var pipeline = await PipelineUnderTest.StartAsync(admin, groupCommit, entityWindows);
var prefix = $"e2e-{Guid.NewGuid():N}"[..16] + "-";
var warmup = (int)(rate * warmupSeconds);
var total = warmup + (int)(rate * seconds);
int IndexOf(string? observationId) =>
    observationId is not null && observationId.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(observationId.AsSpan(prefix.Length), CultureInfo.InvariantCulture, out var i) ? i : -1;
using var accepted = new TopicWatcher(configs, pipeline.AcceptedTopic, total, v => IndexOf(EnvelopeSerializer.Deserialize<ObservationAccepted>(v).Data.ObservationId));
using var vectors = new TopicWatcher(configs, pipeline.FeaturesTopic, total, v => IndexOf(EnvelopeSerializer.Deserialize<FeatureVectorUpdated>(v).Data.TriggeringObservationId));
using var predictions = new TopicWatcher(configs, pipeline.PredictionsTopic, total, v => IndexOf(EnvelopeSerializer.Deserialize<PredictionMade>(v).Data.TriggeringObservationId));
await Task.WhenAll(accepted.Assigned, vectors.Assigned, predictions.Assigned).WaitAsync(TimeSpan.FromMinutes(2));

// At most 16 requests in flight: each holds one of ingestion's database connections, and the shared PostgreSQL has
// 100 slots for every process on the machine. An open-loop sender with no bound took them all once the pipeline fell
// behind (53300 "remaining connection slots are reserved"). Requests past the bound wait in this client, and since
// latency is counted from each observation's due time, that wait is measured, not hidden.
using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan, MaxConnectionsPerServer = 16 })
{
    Timeout = TimeSpan.FromMinutes(1),
};
var single = new Uri(pipeline.Ingestion.BaseAddress, "api/ingestion/observations");
(string Code, string Unit, double Low, double Span)[] vitals =
    [("heart_rate", "/min", 60, 60), ("respiratory_rate", "/min", 10, 20), ("spo2", "%", 88, 12), ("temperature", "Cel", 36, 3), ("systolic_bp", "mm[Hg]", 90, 60)];

// Every patient gets all five vitals first (batch intake, not timed), so from the first timed observation on each
// vector is complete and scored; a vector with a vital missing is cached but not scored.
var eventStart = DateTimeOffset.UtcNow.AddSeconds(-(warmupSeconds + seconds) * (eventSpeed - 1));
var seedTime = eventStart.AddMinutes(-30);
for (var offset = 0; offset < patients * vitals.Length; offset += 1000)
{
    var batch = Enumerable.Range(offset, Math.Min(1000, patients * vitals.Length - offset)).Select(n => Observation($"seed-{prefix}{n}", n % patients, n / patients, seedTime.AddSeconds(n / patients)));
    (await http.PostAsJsonAsync(new Uri(pipeline.Ingestion.BaseAddress, "api/ingestion/observations/batch"), batch)).EnsureSuccessStatusCode();
}

await Eventually.WaitUntilAsync(() => predictions.Records >= patients, $"every one of the {patients} seeded patients has a prediction", TimeSpan.FromMinutes(10));
Console.WriteLine($"seeded {patients * vitals.Length} observations; {predictions.Records} predictions so far");

// 3. The timed stream: observation i is patient i mod P's next vital, due at start + i / rate.
var due = new long[total];
var sent = new long[total];
var answered = new long[total];
var failures = 0;
var failureKinds = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
var requests = new Task[total];
ServiceProcess[] services = [pipeline.Ingestion, pipeline.Features, pipeline.Inference];
var cpuBefore = services.Select(s => s.CpuTime).Append(Process.GetCurrentProcess().TotalProcessorTime).ToArray();
var postgresBefore = await PostgresCpu.SnapshotAsync(pipeline.Databases);
var machineBefore = MachineCpu.Take();
var wallBefore = Stopwatch.GetTimestamp();
var wallClockBefore = DateTimeOffset.UtcNow;
// The leak check: resident memory of each service over the stream (meaningful over a long run, e.g. 1800 s).
await using var memory = new ResidentMemorySampler([("ingestion", pipeline.Ingestion), ("features", pipeline.Features), ("inference", pipeline.Inference)],
    TimeSpan.FromSeconds(Math.Clamp(seconds / 120, 1, 15)));
await Task.Factory.StartNew(() => OpenLoop.Run(0, total, rate, due, sent, i =>
{
    var eventTime = eventSpeed == 1 ? DateTimeOffset.UtcNow : Min(eventStart.AddSeconds(i / rate * eventSpeed), DateTimeOffset.UtcNow);
    var body = JsonContent.Create(Observation(prefix + i.ToString(CultureInfo.InvariantCulture), i % patients, i / patients, eventTime));
    requests[i] = http.PostAsync(single, body).ContinueWith(t =>
    {
        if (t.IsCompletedSuccessfully && t.Result.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK)
        {
            answered[i] = Stopwatch.GetTimestamp();
        }
        else
        {
            Interlocked.Increment(ref failures);
            var kind = t.IsCompletedSuccessfully ? $"HTTP {(int)t.Result.StatusCode}" : t.IsCanceled ? "unanswered within the client's 1 min timeout" : t.Exception!.InnerException!.GetType().Name;
            failureKinds.AddOrUpdate(kind, 1, (_, n) => n + 1);
        }

        if (t.IsCompletedSuccessfully)
        {
            t.Result.Dispose();
        }
    }, TaskScheduler.Default);
}), TaskCreationOptions.LongRunning);
await Task.WhenAll(requests);
await predictions.DrainAsync(total);
var memoryReport = new StringWriter(CultureInfo.InvariantCulture);
await memory.ReportAsync(memoryReport);
var cpu = services.Select(s => s.CpuTime).Append(Process.GetCurrentProcess().TotalProcessorTime).Zip(cpuBefore, (after, before) => (after - before).TotalMilliseconds).ToArray();
var wall = OpenLoop.Milliseconds(wallBefore, Stopwatch.GetTimestamp());
var machineAfter = MachineCpu.Take();
var postgresAfter = await PostgresCpu.SnapshotAsync(pipeline.Databases);
var postgres = pipeline.Databases.Select(d => PostgresCpu.Between(postgresBefore, postgresAfter, d)).ToArray();
var acceptedCount = answered.Count(t => t != 0);

// 4. Features publishes one vector per patient per batch it handles, triggered by the patient's newest observation in
// it; an older observation of the same patient in that batch is answered by that prediction (its vector includes it).
var predicted = (long[])predictions.Arrived.Clone();
var covered = 0;
lock (predictions.Log)
{
    foreach (var (k, ticks) in predictions.Log)
    {
        for (var j = k - patients; j >= 0 && predicted[j] == 0; j -= patients)
        {
            predicted[j] = ticks;
            covered += j >= warmup ? 1 : 0;
        }
    }
}

var timed = Enumerable.Range(warmup, total - warmup).ToArray();
var own = timed.Count(i => predictions.Arrived[i] != 0);
var none = timed.Count(i => predicted[i] == 0);
Latencies Since(long[] from, long[] to, IEnumerable<int> items) =>
    Latencies.Of(items.Where(i => from[i] != 0 && to[i] != 0).Select(i => OpenLoop.Milliseconds(from[i], to[i])));
var endToEnd = Since(due, predicted, timed);
var sendRate = (timed.Length - 1) / OpenLoop.Milliseconds(sent[warmup], sent[^1]) * 1000;

Console.WriteLine();
Console.WriteLine($"end to end: {timed.Length} observations sent at {sendRate:F0}/s ({failures} HTTP failures over the whole stream incl. warm-up{string.Concat(failureKinds.Select(k => $"; {k.Value} {k.Key}"))})");
Console.WriteLine($"  with a prediction: {own} their own ({own * 100.0 / timed.Length:F2} %), {covered} through a later observation of the same patient in the same feature batch, {none} none");
Console.WriteLine($"  scheduler lag (sent - due):             {Since(due, sent, timed)}");
Console.WriteLine("  cumulative from due time:");
Console.WriteLine($"    ingestion answered 202                {Since(due, answered, timed)}");
Console.WriteLine($"    on observations.v1                    {Since(due, accepted.Arrived, timed)}");
Console.WriteLine($"    on features.v1 (own vector)           {Since(due, vectors.Arrived, timed)}");
Console.WriteLine($"    on predictions.v1                     {endToEnd}");
var complete = timed.Where(i => answered[i] != 0 && accepted.Arrived[i] != 0 && vectors.Arrived[i] != 0 && predictions.Arrived[i] != 0).ToArray();
Console.WriteLine($"  per stage, observations seen at every stage (n={complete.Length}):");
Console.WriteLine($"    HTTP intake (due → 202)               {Since(due, answered, complete)}");
Console.WriteLine($"    outbox relay (202 → observations.v1)  {Since(answered, accepted.Arrived, complete)}");
Console.WriteLine($"    features (→ features.v1)              {Since(accepted.Arrived, vectors.Arrived, complete)}");
Console.WriteLine($"    inference (→ predictions.v1)          {Since(vectors.Arrived, predictions.Arrived, complete)}");
// Over time: a backlog that drains, holds or grows tells a start-up stall from a stage slower than the rate. About 24
// rows whatever the length of the run (5 s each up to two minutes).
var sliceSeconds = Math.Max(5, seconds / 24);
var slice = Math.Max(1, (int)(rate * sliceSeconds));
Console.WriteLine($"  over the timed stream, per {sliceSeconds} s of due time (p50 ms: HTTP 202 / observations.v1 / features.v1 / predictions.v1; p99 ms: predictions.v1, inference stage):");
for (var from = warmup; from < total; from += slice)
{
    var items = Enumerable.Range(from, Math.Min(slice, total - from)).ToArray();
    Console.WriteLine(FormattableString.Invariant(
        $"    {(from - warmup) / rate,4:F0} s  {Since(due, answered, items).P50,9:F0} {Since(due, accepted.Arrived, items).P50,9:F0} {Since(due, vectors.Arrived, items).P50,9:F0} {Since(due, predicted, items).P50,9:F0}   {Since(due, predicted, items).P99,9:F0} {Since(vectors.Arrived, predicted, items).P99,9:F0}"));
}

// When the inference stage stalls, with the wall clock, so a stall can be matched with what else ran then (a periodic
// one shows as a steady gap between episodes).
var stalls = complete.Where(i => OpenLoop.Milliseconds(vectors.Arrived[i], predictions.Arrived[i]) > StallMs).OrderBy(i => vectors.Arrived[i]).ToList();
Console.WriteLine(FormattableString.Invariant($"  inference stage over {StallMs} ms: {stalls.Count} observations, in episodes (vector arrival, wall clock UTC):"));
DateTimeOffset WallClock(long ticks) => wallClockBefore.AddMilliseconds(OpenLoop.Milliseconds(wallBefore, ticks));
DateTimeOffset? previousEpisode = null;
for (var k = 0; k < stalls.Count;)
{
    var first = k;
    while (k + 1 < stalls.Count && OpenLoop.Milliseconds(vectors.Arrived[stalls[k]], vectors.Arrived[stalls[k + 1]]) < 1000)
    {
        k++;
    }

    var start = WallClock(vectors.Arrived[stalls[first]]);
    var worst = stalls.Skip(first).Take(k - first + 1).Max(i => OpenLoop.Milliseconds(vectors.Arrived[i], predictions.Arrived[i]));
    Console.WriteLine(FormattableString.Invariant(
        $"    {start:HH:mm:ss.fff}  {k - first + 1,5} observations over {OpenLoop.Milliseconds(vectors.Arrived[stalls[first]], vectors.Arrived[stalls[k]]),6:F0} ms, worst {worst,5:F0} ms{(previousEpisode is { } p ? $", {(start - p).TotalSeconds:F1} s after the previous" : "")}"));
    previousEpisode = start;
    k++;
}

Console.WriteLine(FormattableString.Invariant(
    $"  peak RSS: ingestion {pipeline.Ingestion.PeakResidentBytes / 1048576.0:F0} MB, features {pipeline.Features.PeakResidentBytes / 1048576.0:F0} MB, inference {pipeline.Inference.PeakResidentBytes / 1048576.0:F0} MB, this benchmark {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MB"));
Console.Write(memoryReport.ToString());
// CPU per observation holds still when the wall-clock figures do not (a shared machine): two cores give 2,000 CPU-ms
// per second, so at 1,000 obs/s everything on the path together must stay under 2 CPU-ms per observation.
Console.WriteLine(FormattableString.Invariant(
    $"  CPU per accepted observation ({acceptedCount} over {wall / 1000:F0} s, stream and drain incl. warm-up): ingestion {cpu[0] / acceptedCount:F2} ms + its PostgreSQL backends {postgres[0] / acceptedCount:F2} ms, features {cpu[1] / acceptedCount:F2} + {postgres[1] / acceptedCount:F2} ms, inference {cpu[2] / acceptedCount:F2} + {postgres[2] / acceptedCount:F2} ms, this benchmark {cpu[3] / acceptedCount:F2} ms, the Kafka broker {(machineAfter.BrokerMilliseconds - machineBefore.BrokerMilliseconds) / acceptedCount:F2} ms"));
// What all of it left of the cores: near Environment.ProcessorCount, queues grow at every hiccup and the tail with them.
Console.WriteLine(FormattableString.Invariant(
    $"  machine: {(machineAfter.BusyMilliseconds - machineBefore.BusyMilliseconds) / wall:F2} of {Environment.ProcessorCount} cores busy over the stream and drain ({(machineAfter.BusyMilliseconds - machineBefore.BusyMilliseconds) / acceptedCount:F2} CPU-ms per observation, everything on the machine)"));
Console.WriteLine();
Console.WriteLine(FormattableString.Invariant($"ratio end to end / raw broker: p50 {endToEnd.P50 / raw.Latency.P50:F1}x, p99 {endToEnd.P99 / raw.Latency.P99:F1}x"));
Console.WriteLine(FormattableString.Invariant($"goal p99 <= {GoalP99Ms} ms at {rate:F0} obs/s: {(endToEnd.P99 <= GoalP99Ms && none == 0 ? "met" : "not met")} (p99 {endToEnd.P99:F1} ms, {none} without a prediction)"));
await host.StopAsync();
return 0;

static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

object Observation(string id, int patient, int round, DateTimeOffset eventTime)
{
    var (code, unit, low, span) = vitals[round % vitals.Length];
    return new
    {
        observationId = id,
        entityId = $"patient-{patient}",
        code,
        value = low + span * ((patient * 7919 + round * 104729) % 100) / 100.0,
        unit,
        eventTime,
        sourceSystem = "benchmark",
    };
}
