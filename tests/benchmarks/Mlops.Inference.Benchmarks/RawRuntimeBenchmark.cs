using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace Mlops.Inference.Benchmarks;

/// <summary>
/// The baseline: the same model in ONNX Runtime in process, one thread, no HTTP, no queue. Input and output tensors
/// are created once over pinned arrays and reused, the best case for a caller of the raw API.
/// </summary>
internal static class RawRuntimeBenchmark
{
    public static Measurement Run(byte[] model, int batch, TimeSpan duration)
    {
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model, sessionOptions);
        using var runOptions = new RunOptions();
        var rows = Workload.Rows(batch);
        var probability = new float[batch];
        var uncertainty = new float[batch];
        var members = new float[batch * session.OutputMetadata["members"].Dimensions[1]];
        using var input = OrtValue.CreateTensorValueFromMemory(rows, [batch, Workload.FeatureCount]);
        using var p = OrtValue.CreateTensorValueFromMemory(probability, [batch]);
        using var u = OrtValue.CreateTensorValueFromMemory(uncertainty, [batch]);
        using var m = OrtValue.CreateTensorValueFromMemory(members, [batch, members.Length / batch]);
        string[] inputNames = ["features"];
        OrtValue[] inputs = [input];
        string[] outputNames = ["probability", "uncertainty", "members"];
        OrtValue[] outputs = [p, u, m];
        for (var i = 0; i < 1000; i++)
        {
            session.Run(runOptions, inputNames, inputs, outputNames, outputs);
        }

        var latencies = new List<double>(1 << 20);
        long predictions = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            var started = Stopwatch.GetTimestamp();
            session.Run(runOptions, inputNames, inputs, outputNames, outputs);
            _ = probability[0];
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            predictions += batch;
        }

        return Measurement.From($"raw ORT in-process, batch {batch}", latencies, predictions, clock.Elapsed);
    }
}
