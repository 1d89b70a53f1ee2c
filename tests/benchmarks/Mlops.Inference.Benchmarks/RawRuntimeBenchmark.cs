using System.Diagnostics;
using Mlops.OnnxRuntime;

namespace Mlops.Inference.Benchmarks;

/// <summary>The baseline: the same model through the binding in process, one thread, no HTTP, no queue.</summary>
internal static class RawRuntimeBenchmark
{
    public static Measurement Run(OnnxRuntimeEnvironment environment, byte[] model, int batch, TimeSpan duration)
    {
        using var session = environment.CreateSession(model, new SessionSettings { IntraOpNumThreads = 1 });
        var rows = Workload.Rows(batch);
        long[] shape = [batch, Workload.FeatureCount];
        for (var i = 0; i < 1000; i++)
        {
            using var warm = session.Run("features", rows, shape);
        }

        var latencies = new List<double>(1 << 20);
        long predictions = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            var started = Stopwatch.GetTimestamp();
            using (var result = session.Run("features", rows, shape))
            {
                _ = result.GetFloats("probability")[0];
            }

            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            predictions += batch;
        }

        return Measurement.From($"raw ORT in-process, batch {batch}", latencies, predictions, clock.Elapsed);
    }
}
