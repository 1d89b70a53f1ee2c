using Microsoft.ML.OnnxRuntime;
using Mlops.Onnx;

namespace Mlops.Training.Algorithms.Tests;

/// <summary>The export verifier's engine in tests: ONNX Runtime itself, one single-threaded session per call.</summary>
internal sealed class OnnxRuntimeScorer : IOnnxModelScorer
{
    public static OnnxRuntimeScorer Instance { get; } = new();

    public IReadOnlyDictionary<string, float[]> Score(byte[] model, float[] features, int rows, int columns)
    {
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model, sessionOptions);
        using var runOptions = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(features, [rows, columns]);
        using var results = session.Run(runOptions, [session.InputNames[0]], [input], session.OutputNames);
        return session.OutputNames.Select((name, i) => (name, i)).ToDictionary(o => o.name, o => results[o.i].GetTensorDataAsSpan<float>().ToArray());
    }
}
