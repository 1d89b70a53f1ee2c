using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Training;
using Mlops.Testing;

namespace Mlops.Training.Tests.Pipeline;

/// <summary>
/// A dependency that does not answer is transient, not a model problem: the step is run again until it answers and
/// the run completes (the chaos tests found a registry restart failing a run at Register).
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed class DependencyOutageTests(TrainingAppFactory app)
{
    [Fact]
    public async Task StartTrainingRun_FeaturesServiceRefusesConnections_StepRetriedAndRunCompletes()
    {
        var label = PlatformInfrastructure.UniqueName("outage");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(1500, seed: 31, "fs-test-1"));
        app.TrainingSets.Unreachable(label, reads: 3);
        var command = new StartTrainingRun
        {
            RunId = NewId.NextGuid(),
            ModelName = PlatformInfrastructure.UniqueName("outage"),
            FeatureSetVersion = "fs-test-1",
            DatasetVersion = "ds-test-1",
            LabelName = label,
            Algorithm = "logistic_regression",
            Seed = 3,
            RequestedBy = "tests",
        };
        using var http = app.CreateClient();

        await app.Services.GetRequiredService<IBus>().Publish(command);
        JsonElement run = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            var response = await http.GetAsync($"/api/training/runs/{command.RunId}");
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return false;
            }

            run = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run");
            return run.GetProperty("status").GetString() is "Completed" or "Failed" or "Cancelled";
        }, $"run {command.RunId} ending", TimeSpan.FromMinutes(3));

        Assert.True(run.GetProperty("status").GetString() == "Completed", $"{run.GetProperty("status")} at {run.GetProperty("failedStep")}: {run.GetProperty("failureReason")}");
        Assert.True(app.TrainingSets.RefusedReads >= 3, $"the training set was refused {app.TrainingSets.RefusedReads} times");
    }
}
