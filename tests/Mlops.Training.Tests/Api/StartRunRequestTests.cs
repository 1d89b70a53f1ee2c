using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mlops.Testing;

namespace Mlops.Training.Tests.Api;

/// <summary>
/// What an operator can ask for over HTTP reaches the run as it would from the bus: a window of recent labels and a
/// version to compare with (the retraining saga sends both; an operator retraining by hand needs them too).
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed class StartRunRequestTests(TrainingAppFactory app)
{
    const string FeatureSet = "fs-test-1";
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task PostRun_LabelsFromAndCompareWithVersion_ReachTheTrainingSetQueryAndTheRunsRecord()
    {
        var label = PlatformInfrastructure.UniqueName("window");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(3000, seed: 12, FeatureSet));
        var from = new DateTimeOffset(2026, 1, 3, 6, 0, 0, TimeSpan.Zero);
        using var http = app.CreateClient();

        var response = await http.PostAsJsonAsync("/api/training/runs", new JsonObject
        {
            ["modelName"] = PlatformInfrastructure.UniqueName("window-model"),
            ["featureSetVersion"] = FeatureSet,
            ["datasetVersion"] = "ds-test-1",
            ["labelName"] = label,
            ["algorithm"] = "gbdt",
            ["hyperparameters"] = new JsonObject { ["rounds"] = 20 },
            ["seed"] = 3,
            ["requestedBy"] = "tests",
            ["labelsFrom"] = "2026-01-03T07:00:00+01:00",
            ["compareWithVersion"] = "9.9.9-not-registered",
        });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var runId = (await response.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("runId").GetGuid();

        JsonElement run = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            run = (await http.GetFromJsonAsync<JsonElement>($"/api/training/runs/{runId}", Json)).GetProperty("run");
            return run.GetProperty("status").GetString() is "Completed" or "Failed" or "Cancelled";
        }, $"run {runId} ending");

        Assert.True(run.GetProperty("status").GetString() == "Completed", run.GetProperty("failureReason").GetString());
        Assert.Equal(from, app.TrainingSets.Queries[label].LabelsFrom);
        var parameters = run.GetProperty("parameters");
        Assert.Equal(from, parameters.GetProperty("labelsFrom").GetDateTimeOffset());
        Assert.Equal("9.9.9-not-registered", parameters.GetProperty("compareWithVersion").GetString());
        // The version named is not registered: the comparison is recorded as failed and never fails the run.
        Assert.Equal(1, run.GetProperty("metrics").GetProperty("compared_failed").GetDouble());
    }
}
