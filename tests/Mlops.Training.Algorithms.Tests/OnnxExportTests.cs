using Mlops.Testing;
using Mlops.Training.Algorithms.Data;
using Mlops.Training.Algorithms.Ensembles;
using Mlops.Training.Algorithms.Export;
using Mlops.Training.Algorithms.Gbdt;
using Mlops.Training.Algorithms.Linear;

using Xunit.Abstractions;

namespace Mlops.Training.Algorithms.Tests;

/// <summary>
/// Every export is valid for the ONNX checker (onnx 1.12, Debian) and, run in ONNX Runtime through the platform's
/// binding, gives the C# model's probabilities (and an ensemble's spread) to 1e-5 on a test set.
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    private const string CheckerScript = """
        import json, sys, onnx
        m = onnx.load(sys.argv[1])
        onnx.checker.check_model(m, full_check=True)
        print(json.dumps({"ir": m.ir_version, "opsets": {o.domain: o.version for o in m.opset_import},
                          "outputs": [o.name for o in m.graph.output], "nodes": [n.op_type for n in m.graph.node]}))
        """;

    private static readonly GbdtOptions SmallBoosting = new() { Rounds = 40, MaxLeaves = 15, MinSamplesLeaf = 10, Seed = 5 };

    public static TheoryData<string, string> Cases => new()
    {
        { "breast_cancer", "gbdt" }, { "breast_cancer", "logistic" }, { "breast_cancer", "gbdt_ensemble" }, { "breast_cancer", "logistic_ensemble" },
        { "deterioration", "gbdt" }, { "deterioration", "logistic" }, { "deterioration", "gbdt_ensemble" }, { "deterioration", "mixed_ensemble" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Export_OfTrainedModel_PassesCheckerAndMatchesInOnnxRuntime(string dataSet, string kind)
    {
        var data = dataSet == "breast_cancer" ? TestData.BreastCancer : Subset(TestData.Deterioration, 6000);
        var (train, test) = data.Split(0.3, seed: 2);
        var model = Train(kind, train);

        var bytes = OnnxExporter.ExportBytes(model, data.ColumnNames);
        var path = Path.Combine(Path.GetTempPath(), $"mlops-export-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, bytes);
        var checkedModel = ReferencePython.Run(CheckerScript, path);
        File.Delete(path);
        Assert.Equal(8, checkedModel.GetProperty("ir").GetInt32());
        var outputs = checkedModel.GetProperty("outputs").EnumerateArray().Select(e => e.GetString()).ToArray();
        Assert.Equal(model is BaggedEnsemble ? ["probability", "uncertainty"] : ["probability"], outputs);

        var result = ExportVerification.Verify(model, bytes, test, OnnxRuntimeScorer.Instance);
        output.WriteLine($"{dataSet}/{kind}: {bytes.Length} bytes, nodes {checkedModel.GetProperty("nodes")}, max |Δp| {result.MaxProbabilityError:E2}, max |Δstd| {result.MaxStandardDeviationError:E2}");
        Assert.True(result.Passed, $"{dataSet}/{kind}: max |Δp| {result.MaxProbabilityError:E2}, max |Δstd| {result.MaxStandardDeviationError:E2}");
        if (model is BaggedEnsemble)
        {
            // The spread must be real, not a constant zero that would trivially match.
            var std = OnnxRuntimeScorer.Instance.Score(bytes, test.Features, test.Rows, test.Columns)[OnnxExporter.StandardDeviationOutput];
            Assert.True(std.Max() > 1e-3, "ensemble members should disagree somewhere");
        }
    }

    [Fact]
    public void Export_WithMissingValuesInEveryFeature_MatchesInOnnxRuntime()
    {
        var (train, test) = Subset(TestData.Deterioration, 4000).Split(0.3, seed: 4);
        var holes = (float[])test.Features.Clone();
        for (var i = 0; i < holes.Length; i += 7)
        {
            holes[i] = float.NaN;
        }

        var withHoles = new TabularData(holes, test.Labels, test.Columns);
        foreach (var model in new IBinaryClassifier[] { GbdtTrainer.Fit(train, SmallBoosting), LogisticRegressionTrainer.Fit(train, new()) })
        {
            var result = ExportVerification.Verify(model, OnnxExporter.ExportBytes(model), withHoles, OnnxRuntimeScorer.Instance);
            Assert.True(result.Passed, $"{model.GetType().Name}: max |Δp| {result.MaxProbabilityError:E2}");
        }
    }

    [Fact]
    public void Export_SameDataAndSeedTwice_ByteIdentical()
    {
        var (train, _) = Subset(TestData.Deterioration, 4000).Split(0.3, seed: 4);
        var options = SmallBoosting with { RowSubsample = 0.7, ColumnSubsample = 0.6 };
        var first = OnnxExporter.ExportBytes(BaggedEnsembleTrainer.FitBoosted(train, options, new EnsembleOptions { Members = 3, Seed = 9 }));
        var second = OnnxExporter.ExportBytes(BaggedEnsembleTrainer.FitBoosted(train, options, new EnsembleOptions { Members = 3, Seed = 9 }));
        var otherSeed = OnnxExporter.ExportBytes(BaggedEnsembleTrainer.FitBoosted(train, options, new EnsembleOptions { Members = 3, Seed = 10 }));

        Assert.Equal(first, second);
        Assert.NotEqual(first, otherSeed);
    }

    private static IBinaryClassifier Train(string kind, TabularData train) => kind switch
    {
        "gbdt" => GbdtTrainer.Fit(train, SmallBoosting),
        "logistic" => LogisticRegressionTrainer.Fit(train, new LogisticRegressionOptions()),
        "gbdt_ensemble" => BaggedEnsembleTrainer.FitBoosted(train, SmallBoosting, new EnsembleOptions { Members = 4, Seed = 1 }),
        "logistic_ensemble" => BaggedEnsembleTrainer.FitLogistic(train, new LogisticRegressionOptions(), new EnsembleOptions { Members = 4, Seed = 1 }),
        "mixed_ensemble" => new BaggedEnsemble([
            .. BaggedEnsembleTrainer.FitBoosted(train, SmallBoosting, new EnsembleOptions { Members = 2, Seed = 1 }).Members,
            .. BaggedEnsembleTrainer.FitLogistic(train, new LogisticRegressionOptions(), new EnsembleOptions { Members = 2, Seed = 1 }).Members]),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static TabularData Subset(TabularData data, int rows) => data.Select(Enumerable.Range(0, rows).ToArray());
}
