using System.Globalization;
using Mlops.Inference.Benchmarks;

// Side by side in one run: raw ONNX Runtime in process (the baseline) and the service over loopback HTTP with
// dynamic batching off and on, at 1, 16 and 64 concurrent clients, on the model the platform really trains
// (ShippedEnsemble: trained and exported in this process, as the training service does).
// Usage: [seconds per scenario, default 5] [max queue delay in µs] [max batch size] [batch runners] [test-ensemble] [no-log]
//        (delay, batch size and runners (Inference:Batching:Instances) default to the shipped settings;
//        "test-ensemble" runs the 5-input test ensemble tests/models/deterioration_ensemble_v1.onnx instead of the
//        shipped one; "no-log" turns the prediction log off, on as shipped, to see the service's own cost without the
//        wait for its entry's commit)
//    or: memory [seconds per version, default 5] — one pod serving three versions of the shipped ensemble, peak RSS (MemoryBenchmark)
//    or: stream [vectors, default 20000] [models served, default 3] — streaming scoring of features.v1 (StreamingBenchmark)
//    or: log [seconds per scenario, default 5] — HTTP predictions with the prediction log on vs off (PredictionLogBenchmark)
//    or: protocols [seconds per scenario, default 5] — the Open Inference Protocol over REST vs gRPC (ProtocolBenchmark)
//    or: batch [patients, default 1000] [times, default 10] [online rows, default 2000] — batch job over a dataset version
//        vs the online path (point-in-time vector + predict) on the same rows (BatchBenchmark)
// The stream, log, protocols and batch scenarios still run the test ensemble: they measure the service around the model.
if (args.Length > 0 && args[0] == "memory")
{
    return await MemoryBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5);
}

if (args.Length > 0 && args[0] == "stream")
{
    return await StreamingBenchmark.RunAsync(
        args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3,
        Path.Combine(AppContext.BaseDirectory, "models", "deterioration_ensemble_v1.onnx"));
}

if (args.Length > 0 && args[0] == "log")
{
    return await PredictionLogBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5,
        Path.Combine(AppContext.BaseDirectory, "models", "deterioration_ensemble_v1.onnx"));
}

if (args.Length > 0 && args[0] == "protocols")
{
    return await ProtocolBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5,
        Path.Combine(AppContext.BaseDirectory, "models", "deterioration_ensemble_v1.onnx"));
}

if (args.Length > 0 && args[0] == "batch")
{
    return await BatchBenchmark.RunAsync(
        args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10,
        args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 2000,
        Path.Combine(AppContext.BaseDirectory, "models", "deterioration_ensemble_v1.onnx"));
}

string[] flags = ["test-ensemble", "no-log"];
var testEnsemble = args.Contains("test-ensemble");
var predictionLog = !args.Contains("no-log");
var numbers = args.Where(a => !flags.Contains(a)).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
var seconds = numbers.Length > 0 ? numbers[0] : 5;
var batchSettings = new BatchSettings(true, numbers.Length > 1 ? TimeSpan.FromMicroseconds(numbers[1]) : null, numbers.Length > 2 ? numbers[2] : null, numbers.Length > 3 ? numbers[3] : null);
var duration = TimeSpan.FromSeconds(seconds);
var runtime = typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version;
Console.WriteLine($"ONNX Runtime (managed API {runtime}), {Environment.ProcessorCount} cores, {seconds} s per scenario, batching max queue delay {batchSettings.MaxQueueDelay?.TotalMicroseconds.ToString(CultureInfo.InvariantCulture) ?? "shipped"} µs, max batch {batchSettings.MaxBatchSize?.ToString(CultureInfo.InvariantCulture) ?? "shipped"}, runners {batchSettings.Instances?.ToString(CultureInfo.InvariantCulture) ?? "shipped"}");
Console.WriteLine($"prediction log {(predictionLog ? "on (shipped)" : "off")}; load average at start: {LoadAverage.Read()}");

ServedModel served;
ShippedEnsemble? shipped = null;
if (testEnsemble)
{
    served = new ServedModel("1", Path.Combine(AppContext.BaseDirectory, "models", "deterioration_ensemble_v1.onnx"), Workload.Vitals);
    Console.WriteLine($"model: the 5-input test ensemble ({served.Path})");
}
else
{
    shipped = ShippedEnsemble.Train();
    served = new ServedModel("1", shipped.Path, shipped.Workload);
    Console.WriteLine($"model: {shipped.Describe()}");
}

var model = File.ReadAllBytes(served.Path);
var results = new List<Measurement>();
results.Add(RawRuntimeBenchmark.Run(model, served.Workload, 1, duration));
results.Add(RawRuntimeBenchmark.Run(model, served.Workload, 64, duration));

int[] clientCounts = [1, 16, 64];
foreach (var batching in new[] { false, true })
{
    await using var service = await ServiceBenchmark.StartAsync([served], batchSettings with { Enabled = batching }, predictionLog);
    foreach (var clients in clientCounts)
    {
        results.Add(await service.RunAsync($"service HTTP, batching {(batching ? "on" : "off")}, {clients} clients", clients, duration));
    }
}

shipped?.Delete();
Console.WriteLine();
Console.WriteLine($"{"scenario",-44} {"pred/s",12} {"p50 ms",9} {"p99 ms",9} {"peak RSS MB",12} {"svc CPU µs/pred",16}");
foreach (var r in results)
{
    // The raw runs share this process; its peak and CPU are not the service's, so they show none.
    var rss = r.PeakResidentBytes > 0 ? (r.PeakResidentBytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture) : "-";
    var cpu = r.CpuMicrosecondsPerPrediction > 0 ? r.CpuMicrosecondsPerPrediction.ToString("F0", CultureInfo.InvariantCulture) : "-";
    Console.WriteLine($"{r.Scenario,-44} {r.PredictionsPerSecond,12:F0} {r.P50Ms,9:F3} {r.P99Ms,9:F3} {rss,12} {cpu,16}");
}

var raw1 = results[0];
Console.WriteLine();
Console.WriteLine("Ratios (throughput; p50 latency):");
foreach (var clients in clientCounts)
{
    var off = results.Single(r => r.Scenario == $"service HTTP, batching off, {clients} clients");
    var on = results.Single(r => r.Scenario == $"service HTTP, batching on, {clients} clients");
    Console.WriteLine(FormattableString.Invariant(
        $"{clients,3} clients: service(off)/raw batch1 = {off.PredictionsPerSecond / raw1.PredictionsPerSecond:F3} thr, {off.P50Ms / raw1.P50Ms:F1}x p50;  service(on)/raw batch1 = {on.PredictionsPerSecond / raw1.PredictionsPerSecond:F3} thr;  batching on/off = {on.PredictionsPerSecond / off.PredictionsPerSecond:F2} thr, {on.P50Ms / off.P50Ms:F2} p50, {on.P99Ms / off.P99Ms:F2} p99"));
}

Console.WriteLine(FormattableString.Invariant($"raw batch64/batch1 throughput = {results[1].PredictionsPerSecond / raw1.PredictionsPerSecond:F2}"));
Console.WriteLine($"load average at end: {LoadAverage.Read()}; peak RSS of this benchmark process {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MB");
return 0;
