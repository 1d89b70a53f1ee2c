using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Mlops.Inference.Models;

namespace Mlops.Inference.Tests;

/// <summary>
/// The models run in ONNX Runtime (the official package) as the service runs them, checked against computations made
/// independently in C# from the models' parameters, and what misuse looks like.
/// </summary>
public sealed class OnnxRuntimeTests : IDisposable
{
    static readonly string[] LogisticFeatures = ["a", "b", "c", "d"];

    readonly Microsoft.Extensions.DependencyInjection.ServiceProvider _services = OnnxRuntime.Services();

    public void Dispose() => _services.Dispose();

    [Fact]
    public void Score_LogisticRegression_MatchesSigmoidOfLinearScore()
    {
        var model = OnnxRuntime.Load(_services, Bytes("logistic_regression"), LogisticFeatures);
        var parameters = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "models", "logistic_regression.json"))).RootElement;
        var weights = parameters.GetProperty("weights").EnumerateArray().Select(w => w.GetDouble()).ToArray();
        var bias = parameters.GetProperty("bias").GetDouble();
        float[] rows = [1, 2, 3, 4, -1, 0.5f, 0, 2, 0, 0, 0, 0];
        var p = new double[3];
        var u = new double[3];

        model.Score(rows, 3, p, u);

        for (var r = 0; r < 3; r++)
        {
            var logit = bias + Enumerable.Range(0, 4).Sum(i => weights[i] * rows[(r * 4) + i]);
            Assert.Equal(1 / (1 + Math.Exp(-logit)), p[r], 1e-5);
            Assert.Equal(0, u[r]);
        }
    }

    [Fact]
    public void Score_EnsembleBatch_MatchesMemberMeanAndStandardDeviation()
    {
        var model = OnnxRuntime.Load(_services, Bytes(Models.V1), Models.Features);
        double[][] vitals = [[80, 16, 96, 37, 120], [130, 28, 88, 39.5, 85], [45, 9, 99, 35.5, 180]];
        var rows = vitals.SelectMany(v => v.Select(x => (float)x)).ToArray();
        var p = new double[3];
        var u = new double[3];

        model.Score(rows, 3, p, u);

        Assert.True(model.HasUncertainty);
        for (var r = 0; r < 3; r++)
        {
            var (mean, std) = Models.Expected(Models.V1, Models.Vitals(vitals[r][0], vitals[r][1], vitals[r][2], vitals[r][3], vitals[r][4]));
            Assert.Equal(mean, p[r], 1e-5);
            Assert.Equal(std, u[r], 1e-5);
            Assert.True(u[r] > 0);
        }
    }

    [Fact]
    public void Score_ConcurrentlyOnOneSession_SameAnswerOnEveryThread()
    {
        var model = OnnxRuntime.Load(_services, Bytes(Models.V1), Models.Features);
        float[] row = [120, 25, 90, 38, 95];
        var expected = Models.Expected(Models.V1, Models.Vitals(120, 25, 90, 38, 95)).Mean;

        var answers = Enumerable.Range(0, 8).AsParallel().Select(_ =>
        {
            var p = new double[1];
            var u = new double[1];
            for (var i = 0; i < 500; i++)
            {
                model.Score(row, 1, p, u);
            }

            return p[0];
        }).ToList();

        Assert.All(answers, a => Assert.Equal(expected, a, 1e-5));
    }

    [Fact]
    public void Load_ModelWithoutFeaturesInput_ThrowsNamingTheInputs()
    {
        var bytes = OnnxRuntime.WithInputRenamed(Bytes("logistic_regression"), "vitals");

        var error = Assert.Throws<InvalidOperationException>(() => OnnxRuntime.Load(_services, bytes, LogisticFeatures));

        Assert.Contains("no input 'features'", error.Message);
        Assert.Contains("vitals", error.Message);
    }

    [Fact]
    public void Load_FeatureCountDisagreesWithModelInput_ThrowsNamingBothShapes()
    {
        var error = Assert.Throws<InvalidOperationException>(() => OnnxRuntime.Load(_services, Bytes("logistic_regression"), Models.Features));

        Assert.Contains("5 float features", error.Message);
        Assert.Contains("-1, 4", error.Message);
    }

    [Fact]
    public void Score_FewerValuesThanRows_ThrowsBeforeReachingTheRuntime()
    {
        var model = OnnxRuntime.Load(_services, Bytes("logistic_regression"), LogisticFeatures);

        var error = Assert.Throws<ArgumentException>(() => model.Score(new float[7], 2, new double[2], new double[2]));

        Assert.Contains("7 values", error.Message);
    }

    [Fact]
    public void Create_BytesThatAreNotAModel_ThrowsOrtErrorNotACrash()
    {
        var factory = (OnnxSessionFactory)_services.GetService(typeof(OnnxSessionFactory))!;

        var error = Assert.Throws<OnnxRuntimeException>(() => factory.Create("not an onnx model"u8.ToArray()));

        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void Score_AfterRetire_ThrowsObjectDisposed()
    {
        var model = OnnxRuntime.Load(_services, Bytes("logistic_regression"), LogisticFeatures);
        model.Retire();

        Assert.Throws<ObjectDisposedException>(() => model.Score(new float[4], 1, new double[1], new double[1]));
    }

    // No GPU or CUDA libraries here: asking for CUDA must still give a working session, on CPU, with a warning.
    [Fact]
    public void Create_CudaConfiguredWithoutGpu_WarnsAndRunsOnCpuWithTheSameOutputs()
    {
        using var logs = new CapturingLoggerProvider();
        using var cuda = OnnxRuntime.Services(ExecutionProvider.Cuda, logs);
        var onCuda = OnnxRuntime.Load(cuda, Bytes(Models.V1), Models.Features);
        var onCpu = OnnxRuntime.Load(_services, Bytes(Models.V1), Models.Features);
        float[] row = [120, 25, 90, 38, 95];
        var (p1, u1, p2, u2) = (new double[1], new double[1], new double[1], new double[1]);

        onCuda.Score(row, 1, p1, u1);
        onCpu.Score(row, 1, p2, u2);

        Assert.Equal(ExecutionProvider.Cpu, onCuda.ExecutionProvider);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("CUDA", StringComparison.Ordinal));
        Assert.Equal(p2[0], p1[0]);
        Assert.Equal(u2[0], u1[0]);
    }

    static byte[] Bytes(string name) => File.ReadAllBytes(Models.PathOf(name));
}
