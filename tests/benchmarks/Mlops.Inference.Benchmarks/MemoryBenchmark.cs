using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;

namespace Mlops.Inference.Benchmarks;

/// <summary>
/// One inference pod serving three versions of the shipped ensemble at once (champion, challenger and shadow of
/// <c>deterioration</c>, as during a canary with a shadow), with the shipped batcher: its peak RSS once all three are
/// loaded and after each version has been scored under load. Goal (issue 16): at most 300 MB.
/// </summary>
internal static class MemoryBenchmark
{
    const double GoalMegabytes = 300;

    static long SessionResidentBytes(IReadOnlyList<ShippedEnsemble> versions)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var self = Process.GetCurrentProcess();
        var before = self.WorkingSet64;
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        var sessions = versions.Select(v => new InferenceSession(v.Onnx, options)).ToList();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        self.Refresh();
        var after = self.WorkingSet64;
        sessions.ForEach(s => s.Dispose());
        return after - before;
    }

    public static async Task<int> RunAsync(int seconds)
    {
        Console.WriteLine($"load average at start: {LoadAverage.Read()}");

        // The same pod with only the 5-input test ensemble: what the process takes without the real models, so the
        // three versions' share of the peak can be read off.
        long baseline;
        Measurement baselineRun;
        await using (var small = await ServiceBenchmark.StartAsync(
            [new ServedModel("1", Path.Combine(AppContext.BaseDirectory, "models", "deterioration_ensemble_v1.onnx"), Workload.Vitals)], new BatchSettings(true)))
        {
            baseline = small.PeakResidentBytes;
            baselineRun = await small.RunAsync("5-input test ensemble only, 16 clients", 16, TimeSpan.FromSeconds(seconds));
        }

        var versions = new List<ShippedEnsemble>();
        for (var v = 1; v <= ServiceBenchmark.Variants.Length; v++)
        {
            versions.Add(ShippedEnsemble.Train(v));
            Console.WriteLine($"version {v}: {versions[^1].Describe()}");
        }

        try
        {
            // What ONNX Runtime alone holds for the three sessions, measured in this process: the part of the pod's
            // growth that is the runtime's and not the service's own.
            var sessions = SessionResidentBytes(versions);
            Console.WriteLine(FormattableString.Invariant($"ONNX Runtime sessions of the three versions in this process: +{sessions / 1048576.0:F0} MB resident"));
            var served = versions.Select((e, i) => new ServedModel((i + 1).ToString(CultureInfo.InvariantCulture), e.Path, e.Workload)).ToList();
            await using var service = await ServiceBenchmark.StartAsync(served, new BatchSettings(true));
            var loaded = service.PeakResidentBytes;
            var results = new List<Measurement>();
            for (var v = 0; v < served.Count; v++)
            {
                // The champion by the default route, the others by their variant header, as a client addressing them would.
                var variant = v == 0 ? null : ServiceBenchmark.Variants[v];
                results.Add(await service.RunAsync($"version {v + 1} ({ServiceBenchmark.Variants[v]}), 16 clients", 16, TimeSpan.FromSeconds(seconds), variant));
            }

            Console.WriteLine();
            Console.WriteLine(FormattableString.Invariant($"peak RSS with the 5-input test ensemble loaded, before any request: {baseline / 1048576.0:F0} MB"));
            Console.WriteLine(FormattableString.Invariant($"peak RSS with the three versions loaded, before any request: {loaded / 1048576.0:F0} MB"));
            Console.WriteLine($"{"scored",-40} {"pred/s",10} {"p50 ms",9} {"p99 ms",9} {"peak RSS MB",12}");
            foreach (var r in results.Prepend(baselineRun))
            {
                Console.WriteLine(FormattableString.Invariant($"{r.Scenario,-40} {r.PredictionsPerSecond,10:F0} {r.P50Ms,9:F3} {r.P99Ms,9:F3} {r.PeakResidentBytes / 1048576.0,12:F0}"));
            }

            var peak = service.PeakResidentBytes / 1048576.0;
            Console.WriteLine(FormattableString.Invariant($"inference pod peak RSS, three versions of the shipped ensemble: {peak:F0} MB (goal ≤ {GoalMegabytes:F0} MB: {(peak <= GoalMegabytes ? "met" : "not met")})"));
            Console.WriteLine($"load average at end: {LoadAverage.Read()}");
            return 0;
        }
        finally
        {
            foreach (var version in versions)
            {
                version.Delete();
            }
        }
    }
}
