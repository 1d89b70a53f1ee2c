using Mlops.Onnx;
using Mlops.OnnxRuntime;
using Mlops.Testing;

namespace Mlops.Training.Algorithms.Tests;

/// <summary>The export verifier's engine: the platform's ONNX Runtime binding, one environment per test process.</summary>
internal sealed class OnnxRuntimeScorer : IOnnxModelScorer
{
    private static readonly Lazy<OnnxRuntimeEnvironment> Environment = new(() =>
        new OnnxRuntimeEnvironment(new OnnxRuntimeOptions
        {
            LibraryPath = PlatformInfrastructure.Configuration["OnnxRuntime:LibraryPath"]
                ?? throw new InvalidOperationException("OnnxRuntime:LibraryPath is not configured (platform env file)."),
        }));

    public static OnnxRuntimeScorer Instance { get; } = new();

    public IReadOnlyDictionary<string, float[]> Score(byte[] model, float[] features, int rows, int columns)
    {
        using var session = Environment.Value.CreateSession(model, new SessionSettings { IntraOpNumThreads = 1 });
        using var result = session.Run(session.Inputs[0].Name, features, [rows, columns]);
        return result.Names.ToDictionary(n => n, n => result.GetFloats(n).ToArray());
    }
}
