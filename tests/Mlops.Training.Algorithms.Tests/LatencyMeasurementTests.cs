using Microsoft.ML.OnnxRuntime;
using Mlops.Training.Algorithms.Evaluation;
using Mlops.Training.Algorithms.Export;
using Mlops.Training.Algorithms.Gbdt;

namespace Mlops.Training.Algorithms.Tests;

public sealed class LatencyMeasurementTests
{
    [Fact]
    public void SinglePrediction_ExportedModelInOnnxRuntime_ReportsOrderedPercentilesOfRealCalls()
    {
        var (train, test) = TestData.BreastCancer.Split(0.3, seed: 1);
        var model = GbdtTrainer.Fit(train, new GbdtOptions { Rounds = 30, Seed = 1 });
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(OnnxExporter.ExportBytes(model), sessionOptions);
        using var runOptions = new RunOptions();
        var calls = 0;
        var maxError = 0.0;

        var report = LatencyMeasurement.SinglePrediction(test, row =>
        {
            calls++;
            using var input = OrtValue.CreateTensorValueFromMemory(row, [1, row.Length]);
            using var results = session.Run(runOptions, [OnnxExporter.InputName], [input], [OnnxExporter.ProbabilityOutput]);
            var p = results[0].GetTensorDataAsSpan<float>()[0];
            maxError = Math.Max(maxError, Math.Abs(p - model.PredictProbability(row)));
            return p;
        }, samples: 200, warmup: 10);

        Assert.Equal(210, calls);
        Assert.True(maxError < 1e-5, $"max |Δp| {maxError:E2}");
        Assert.True(report.P50Microseconds > 0);
        Assert.True(report.P50Microseconds <= report.P95Microseconds && report.P95Microseconds <= report.P99Microseconds && report.P99Microseconds <= report.MaxMicroseconds);
    }
}
