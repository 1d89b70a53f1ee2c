using Mlops.Training.Algorithms;
using Mlops.Training.Algorithms.Data;
using Mlops.Training.Algorithms.Ensembles;
using Mlops.Training.Algorithms.Export;
using Mlops.Training.Algorithms.Gbdt;
using Mlops.Training.Algorithms.Linear;
using Mlops.Training.Pipeline;

namespace Mlops.Training.Tests;

/// <summary>A step that reloads its inputs must see exactly what the previous step produced.</summary>
public sealed class WorkspaceCodecTests
{
    static readonly TabularData Data = DeteriorationScenario.Generate(400, seed: 5, features: 10);

    public static TheoryData<string> Kinds => ["gbdt", "logistic_regression", "bagged_mixed"];

    static IBinaryClassifier Fit(string kind) => kind switch
    {
        "gbdt" => GbdtTrainer.Fit(Data, new GbdtOptions { Rounds = 10, Seed = 3 }),
        "logistic_regression" => LogisticRegressionTrainer.Fit(Data, new LogisticRegressionOptions()),
        _ => new BaggedEnsemble([
            GbdtTrainer.Fit(Data, new GbdtOptions { Rounds = 5, Seed = 1 }),
            LogisticRegressionTrainer.Fit(Data, new LogisticRegressionOptions { L2 = 3 }),
        ]),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EncodeModel_DecodedAgain_SamePredictionsAndByteIdenticalExport(string kind)
    {
        var model = Fit(kind);

        var restored = WorkspaceCodec.DecodeModel(WorkspaceCodec.EncodeModel(model));

        Assert.Equal(model.GetType(), restored.GetType());
        Assert.Equal(model.PredictProbabilities(Data), restored.PredictProbabilities(Data));
        Assert.Equal(OnnxExporter.ExportBytes(model, Data.ColumnNames), OnnxExporter.ExportBytes(restored, Data.ColumnNames));
    }

    [Fact]
    public void EncodeData_WithMissingValues_DecodesBitForBit()
    {
        var restored = WorkspaceCodec.DecodeData(WorkspaceCodec.EncodeData(Data));

        Assert.Contains(Data.Features, float.IsNaN);
        Assert.Equal(Data.Columns, restored.Columns);
        Assert.Equal(Data.ColumnNames, restored.ColumnNames);
        Assert.Equal(Data.Labels, restored.Labels);
        Assert.Equal(Data.Features.Select(BitConverter.SingleToInt32Bits), restored.Features.Select(BitConverter.SingleToInt32Bits));
    }
}
