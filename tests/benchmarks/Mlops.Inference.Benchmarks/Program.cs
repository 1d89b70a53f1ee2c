using System.Globalization;
using Mlops.Inference.Benchmarks;

// Side by side in one run: raw ONNX Runtime in process (the baseline) and the service over loopback HTTP with
// dynamic batching off and on, at 1, 16 and 64 concurrent clients.
// Usage: [seconds per scenario, default 5] [max queue delay in microseconds when batching is on, default 0]
//    or: stream [vectors, default 20000] [models served, default 3] — streaming scoring of features.v1 (StreamingBenchmark)
//    or: log [seconds per scenario, default 5] — HTTP predictions with the prediction log on vs off (PredictionLogBenchmark)
//    or: protocols [seconds per scenario, default 5] — the Open Inference Protocol over REST vs gRPC (ProtocolBenchmark)
//    or: batch [patients, default 1000] [times, default 10] [online rows, default 2000] — batch job over a dataset version
//        vs the online path (point-in-time vector + predict) on the same rows (BatchBenchmark)
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

var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var maxQueueDelay = TimeSpan.FromMicroseconds(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0);
var duration = TimeSpan.FromSeconds(seconds);
var modelPath = Path.Combine(AppContext.BaseDirectory, "models", "deterioration_ensemble_v1.onnx");
var model = File.ReadAllBytes(modelPath);
var results = new List<Measurement>();
var runtime = typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version;
Console.WriteLine($"ONNX Runtime (managed API {runtime}), {Environment.ProcessorCount} cores, {seconds} s per scenario, batching max queue delay {maxQueueDelay.TotalMicroseconds} µs, max batch 64");
results.Add(RawRuntimeBenchmark.Run(model, 1, duration));
results.Add(RawRuntimeBenchmark.Run(model, 64, duration));

int[] clientCounts = [1, 16, 64];
foreach (var batching in new[] { false, true })
{
    await using var service = await ServiceBenchmark.StartAsync(modelPath, batching, maxQueueDelay);
    foreach (var clients in clientCounts)
    {
        results.Add(await service.RunAsync($"service HTTP, batching {(batching ? "on" : "off")}, {clients} clients", clients, duration));
    }
}

Console.WriteLine();
Console.WriteLine($"{"scenario",-44} {"pred/s",12} {"p50 ms",9} {"p99 ms",9}");
foreach (var r in results)
{
    Console.WriteLine($"{r.Scenario,-44} {r.PredictionsPerSecond,12:F0} {r.P50Ms,9:F3} {r.P99Ms,9:F3}");
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
return 0;
