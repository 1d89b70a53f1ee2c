using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;
using Mlops.Onnx;
using Mlops.Training.Algorithms.Data;
using Mlops.Training.Algorithms.Evaluation;
using Mlops.Training.Algorithms.Export;

namespace Mlops.Training.Scoring;

/// <summary>The export verifier's engine and latency probe: ONNX Runtime (Microsoft.ML.OnnxRuntime), as inference serves.</summary>
internal sealed class OnnxRuntimeScorer : IOnnxModelScorer, IOnnxLatencyProbe
{
    public IReadOnlyDictionary<string, float[]> Score(byte[] model, float[] features, int rows, int columns)
    {
        using var session = CreateSession(model);
        using var options = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(features, [rows, columns]);
        using var results = session.Run(options, [session.InputNames[0]], [input], session.OutputNames);
        return session.OutputNames.Select((name, i) => (name, i)).ToDictionary(o => o.name, o => results[o.i].GetTensorDataAsSpan<float>().ToArray());
    }

    public LatencyReport SinglePrediction(byte[] model, TabularData data, int samples)
    {
        // One session and one thread, as a serving replica scores a single request; the row buffer is reused and
        // pinned once, so the timing is ONNX Runtime's, not the allocator's.
        using var session = CreateSession(model);
        using var options = new RunOptions();
        var row = new float[data.Columns];
        using var input = OrtValue.CreateTensorValueFromMemory(row, [1, row.Length]);
        string[] inputs = [OnnxExporter.InputName];
        string[] outputs = [OnnxExporter.ProbabilityOutput];
        return LatencyMeasurement.SinglePrediction(data, values =>
        {
            values.CopyTo(row, 0);
            using var results = session.Run(options, inputs, [input], outputs);
            return results[0].GetTensorDataAsSpan<float>()[0];
        }, samples);
    }

    static InferenceSession CreateSession(byte[] model)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        return new InferenceSession(model, options);
    }
}
