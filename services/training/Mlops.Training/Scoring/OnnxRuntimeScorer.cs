using Mlops.Onnx;
using Mlops.Training.Algorithms.Data;
using Mlops.Training.Algorithms.Evaluation;
using Mlops.Training.Algorithms.Export;
using Mlops.OnnxRuntime;

namespace Mlops.Training.Scoring;

/// <summary>The export verifier's engine: the platform's ONNX Runtime binding, one environment per process.</summary>
internal sealed class OnnxRuntimeScorer(IConfiguration configuration) : IOnnxModelScorer, IOnnxLatencyProbe
{
    readonly Lazy<OnnxRuntimeEnvironment> _environment = new(() =>
        new OnnxRuntimeEnvironment(new OnnxRuntimeOptions
        {
            LibraryPath = configuration["OnnxRuntime:LibraryPath"]
                ?? throw new InvalidOperationException("OnnxRuntime:LibraryPath is not configured."),
        }));

    public IReadOnlyDictionary<string, float[]> Score(byte[] model, float[] features, int rows, int columns)
    {
        using var session = _environment.Value.CreateSession(model, new SessionSettings { IntraOpNumThreads = 1 });
        using var result = session.Run(session.Inputs[0].Name, features, [rows, columns]);
        return result.Names.ToDictionary(n => n, n => result.GetFloats(n).ToArray());
    }

    public LatencyReport SinglePrediction(byte[] model, TabularData data, int samples)
    {
        // One session and one thread, as a serving replica scores a single request.
        using var session = _environment.Value.CreateSession(model, new SessionSettings { IntraOpNumThreads = 1 });
        var input = session.Inputs[0].Name;
        return LatencyMeasurement.SinglePrediction(data, row =>
        {
            using var result = session.Run(input, row, [1, row.Length]);
            return result.GetFloats(OnnxExporter.ProbabilityOutput)[0];
        }, samples);
    }
}
