using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace Mlops.Inference.Benchmarks;

/// <summary>
/// The baseline: the same model in ONNX Runtime in process, one thread, no HTTP, no queue. Input and output tensors
/// are created once over pinned arrays and reused, the best case for a caller of the raw API. Each run scores the
/// next rows of the workload, as the service's requests do: a tree ensemble scoring one row over and over lets the
/// CPU's branch predictor learn its paths through the trees and looked about twice as fast as it is on varied rows.
/// </summary>
internal static class RawRuntimeBenchmark
{
    public static Measurement Run(byte[] model, Workload workload, int batch, TimeSpan duration)
    {
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model, sessionOptions);
        using var runOptions = new RunOptions();
        var rows = workload.Rows(batch);
        var next = 0;
        // The outputs the service fetches (LoadedModel): the probability and, when the graph has it, the ensemble spread.
        var hasUncertainty = session.OutputMetadata.ContainsKey("uncertainty");
        var probabilityDims = session.OutputMetadata["probability"].Dimensions;
        var width = probabilityDims.Length == 2 ? probabilityDims[1] : 1;
        var probability = new float[batch * width];
        var uncertainty = new float[batch];
        using var input = OrtValue.CreateTensorValueFromMemory(rows, [batch, workload.FeatureCount]);
        using var p = OrtValue.CreateTensorValueFromMemory(probability, probabilityDims.Length == 2 ? [batch, width] : [batch]);
        using var u = OrtValue.CreateTensorValueFromMemory(uncertainty, [batch]);
        string[] inputNames = ["features"];
        OrtValue[] inputs = [input];
        string[] outputNames = hasUncertainty ? ["probability", "uncertainty"] : ["probability"];
        OrtValue[] outputs = hasUncertainty ? [p, u] : [p];
        for (var i = 0; i < 1000; i++)
        {
            next = workload.CopyRows(next, rows);
            session.Run(runOptions, inputNames, inputs, outputNames, outputs);
        }

        var latencies = new List<double>(1 << 20);
        long predictions = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            next = workload.CopyRows(next, rows);
            var started = Stopwatch.GetTimestamp();
            session.Run(runOptions, inputNames, inputs, outputNames, outputs);
            _ = probability[0];
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            predictions += batch;
        }

        return Measurement.From($"raw ORT in-process, batch {batch}", latencies, predictions, clock.Elapsed);
    }
}
