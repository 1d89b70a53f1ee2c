using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Training;
using Mlops.Testing;

namespace Mlops.Training.Tests.Pipeline;

/// <summary>
/// <see cref="StartTrainingRun.CompareWithVersion"/>: the compared version, fetched from the real registry process and
/// verified, is scored with ONNX Runtime on the run's own held-out rows and its figures recorded with the run's.
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed class ModelComparisonTests(TrainingAppFactory app)
{
    const string FeatureSet = "fs-cmp-1";
    const string Model = "deterioration-cmp";
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    static StartTrainingRun Command(string label, string? compareWith = null, IReadOnlyList<string>? features = null) => new()
    {
        RunId = NewId.NextGuid(), ModelName = Model, FeatureSetVersion = FeatureSet, DatasetVersion = "ds-cmp-1", LabelName = label, Algorithm = "gbdt",
        Hyperparameters = new Dictionary<string, double> { ["rounds"] = 20, ["min_samples_leaf"] = 10 }, Seed = 11, RequestedBy = "tests",
        CompareWithVersion = compareWith, Features = features ?? [],
    };

    async Task<JsonElement> RunAsync(StartTrainingRun command)
    {
        using var http = app.CreateClient();
        await app.Services.GetRequiredService<IBus>().Publish(command);
        JsonElement run = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            var response = await http.GetAsync($"/api/training/runs/{command.RunId}");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }

            run = (await response.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("run");
            return run.GetProperty("status").GetString() is "Completed" or "Failed";
        }, $"run {command.RunId} ending");
        return run;
    }

    static double Metric(JsonElement run, string name) => run.GetProperty("metrics").GetProperty(name).GetDouble();

    [Fact]
    public async Task CompareWithVersion_SameRecipeAndRows_RecordsTheComparedVersionsFiguresOnTheHeldOutRows()
    {
        var label = PlatformInfrastructure.UniqueName("cmp");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(3000, seed: 5, FeatureSet));
        var champion = await RunAsync(Command(label));
        Assert.True(champion.GetProperty("status").GetString() == "Completed", champion.GetProperty("failureReason").GetString());
        var championVersion = $"1.0.0-run.{champion.GetProperty("runId").GetGuid():N}";

        var candidate = await RunAsync(Command(label, compareWith: championVersion));

        Assert.True(candidate.GetProperty("status").GetString() == "Completed", candidate.GetProperty("failureReason").GetString());
        // Same rows, recipe and seed: the same model, so ONNX Runtime's float32 scores of the champion reproduce the run's own figures.
        Assert.Equal(Metric(candidate, "test_rows"), Metric(candidate, "compared_rows"));
        Assert.Equal(Metric(candidate, "auroc"), Metric(candidate, "compared_auroc"), 1e-3);
        Assert.Equal(Metric(candidate, "log_loss"), Metric(candidate, "compared_log_loss"), 1e-4);
        Assert.Equal(Metric(candidate, "brier"), Metric(candidate, "compared_brier"), 1e-5);
        Assert.False(candidate.GetProperty("metrics").TryGetProperty("compared_failed", out _));
        Assert.Contains(candidate.GetProperty("artifacts").EnumerateArray(), a => a.GetProperty("name").GetString() == "comparison.json");
    }

    [Fact]
    public async Task CompareWithVersion_ChampionNeedsFeaturesTheRunDropped_RecordsAFailedComparisonWithTheReason()
    {
        var label = PlatformInfrastructure.UniqueName("cmpx");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(3000, seed: 6, FeatureSet));
        var champion = await RunAsync(Command(label));
        Assert.True(champion.GetProperty("status").GetString() == "Completed", champion.GetProperty("failureReason").GetString());
        var championVersion = $"1.0.0-run.{champion.GetProperty("runId").GetGuid():N}";

        var candidate = await RunAsync(Command(label, compareWith: championVersion, features: ["news2", "ward", "heart_rate", "spo2"]));

        Assert.True(candidate.GetProperty("metrics").TryGetProperty("compared_failed", out _), candidate.GetRawText());
        Assert.Equal(1, Metric(candidate, "compared_failed"));
        Assert.False(candidate.GetProperty("metrics").TryGetProperty("compared_auroc", out _));
        var stored = await app.Services.GetRequiredService<Mlops.Training.Tracking.RunStore>()
            .GetArtifactAsync(candidate.GetProperty("runId").GetGuid(), "comparison.json", CancellationToken.None);
        var comparison = JsonSerializer.Deserialize<JsonElement>(stored!.Content);
        Assert.Contains("absent from the run's rows", comparison.GetProperty("problem").GetString());
    }

    [Fact]
    public async Task CompareWithVersion_VersionNotRegistered_RecordsAFailedComparisonAndTheRunStillCompletes()
    {
        var label = PlatformInfrastructure.UniqueName("cmpn");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(3000, seed: 8, FeatureSet));

        var run = await RunAsync(Command(label, compareWith: "9.9.9-missing"));

        Assert.True(run.GetProperty("status").GetString() == "Completed", run.GetProperty("failureReason").GetString());
        Assert.Equal(1, Metric(run, "compared_failed"));
    }
}
