using Mlops.Inference.Models;
using Mlops.Onnx.Ir;
using Mlops.Training.Algorithms;
using Mlops.Training.Algorithms.Export;
using Mlops.Training.Algorithms.Gbdt;

namespace Mlops.Inference.Tests;

public sealed class TreeAttributionTests
{
    public static TheoryData<string> TreeModels => ["gbdt", "ensemble"];

    static IBinaryClassifier Model(string kind) => kind == "gbdt" ? TrainedModels.Gbdt : TrainedModels.Ensemble;

    // The invariant that makes the numbers trustworthy: for every row (missing values included) the contributions
    // read from the exported trees plus the bias give back the C# model's own raw score.
    [Theory]
    [MemberData(nameof(TreeModels))]
    public void Explain_ExportedTreeModel_ContributionsPlusBiasEqualRawScore(string kind)
    {
        var model = Model(kind);
        var attribution = TreeEnsembleAttribution.TryCreate(OnnxExporter.Export(model, TrainedModels.Features));
        Assert.NotNull(attribution);
        var data = TrainedModels.Data(300, seed: 42, withMissing: true);

        for (var r = 0; r < data.Rows; r++)
        {
            var (contributions, bias) = attribution.Explain(data.Row(r));

            Assert.Equal(TrainedModels.MeanRawScore(model, data.Row(r)), contributions.Sum() + bias, 9);
        }
    }

    [Fact]
    public void Explain_SingleStump_CreditsTheSplitFeatureWithTheStepFromTheMean()
    {
        // One split on feature 1 at 0.5: leaves 2 (≤) and -1; expected value (no cover) is their mean 0.5.
        var tree = new RegressionTree([1, -1, -1], [0.5f, 0, 0], [0, 0, 0], [true, false, false], [1, 0, 0], [2, 0, 0], [0, 2, -1]);
        var model = new GbdtModel(3, 0.25f, [tree]);
        var attribution = TreeEnsembleAttribution.TryCreate(OnnxExporter.Export(model))!;

        var (low, lowBias) = attribution.Explain([9, 0.1f, 9]);
        var (high, _) = attribution.Explain([9, 3, 9]);
        var (missing, _) = attribution.Explain([9, float.NaN, 9]);

        Assert.Equal(0.75, lowBias, 12);
        Assert.Equal([0, 1.5, 0], low);
        Assert.Equal([0, -1.5, 0], high);
        Assert.Equal([0, 1.5, 0], missing);
    }

    [Fact]
    public void TryCreate_LinearGraph_ReturnsNull()
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Models.PathOf(Models.V1)));

        Assert.Null(TreeEnsembleAttribution.TryCreate(model));
    }
}
