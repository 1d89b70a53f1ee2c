using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Training.Algorithms;
using Mlops.Training.Algorithms.Ensembles;

namespace Mlops.Inference.Tests;

/// <summary>Models trained and exported by the training library, loaded by path + SHA-256 and served over HTTP.</summary>
public sealed class TrainedModelServingTests
{
    [Fact]
    public Task Predict_ExportedGbdt_MatchesCSharpModelAndExplainsByTreePath() => ServeAndCheckAsync(TrainedModels.Gbdt, ensemble: false);

    [Fact]
    public Task Predict_ExportedBaggedEnsemble_MatchesCSharpModelAndExplainsByTreePath() => ServeAndCheckAsync(TrainedModels.Ensemble, ensemble: true);

    [Fact]
    public async Task Predict_ExportedModelWithAFeatureComputedAsNull_ScoresItAsMissingLikeTraining()
    {
        // The feature set leaves a feature null when it cannot be computed (a slope over one point); the exporter
        // declares NaN as "missing", so the pod scores the row as the C# model does instead of refusing it.
        var model = TrainedModels.Ensemble;
        var export = TrainedModels.Export(model, "ensemble-missing");
        await using var factory = new InferenceAppFactory(withModel: false, settings: TrainedModels.Serving("trained", "1", export));
        var client = await factory.ReadyClientAsync(model: "trained");
        var row = TrainedModels.Data(1, seed: 7).Row(0).ToArray();
        row[1] = float.NaN;
        var features = TrainedModels.AsFeatures(row);
        features[TrainedModels.Features[1]] = null;

        using var response = await client.PostAsJsonAsync("/api/inference/models/trained/predict", new { features });

        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(model.PredictProbability(row), body.GetProperty("probability").GetDouble(), 1e-5);
        Assert.False(body.GetProperty("fallback").GetBoolean());
    }

    static async Task ServeAndCheckAsync(IBinaryClassifier model, bool ensemble)
    {
        var export = TrainedModels.Export(model, ensemble ? "ensemble" : "gbdt");
        await using var factory = new InferenceAppFactory(withModel: false, settings: TrainedModels.Serving("trained", "1", export));
        var client = await factory.ReadyClientAsync(model: "trained");
        var data = TrainedModels.Data(40, seed: 5);

        for (var r = 0; r < data.Rows; r++)
        {
            var row = data.Row(r).ToArray();
            using var response = await client.PostAsJsonAsync("/api/inference/models/trained/predict?contributions=true", new { features = TrainedModels.AsFeatures(row) });
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();

            Assert.Equal(model.PredictProbability(row), body.GetProperty("probability").GetDouble(), 1e-5);
            if (model is BaggedEnsemble bagged)
            {
                Assert.Equal(bagged.Predict(row).StandardDeviation, body.GetProperty("uncertainty").GetDouble(), 1e-5);
            }

            Assert.Equal("tree-path", body.GetProperty("contributionMethod").GetString());
            var contributions = body.GetProperty("contributions").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
            Assert.Equal(TrainedModels.Features, contributions.Keys);
            var bias = body.GetProperty("contributionBaselineLogOdds").GetDouble();
            Assert.Equal(TrainedModels.MeanRawScore(model, row), contributions.Values.Sum() + bias, 1e-9);
        }
    }
}
