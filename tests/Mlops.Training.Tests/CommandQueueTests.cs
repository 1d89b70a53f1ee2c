using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Training;
using Mlops.Testing;

namespace Mlops.Training.Tests;

/// <summary>Training's own commands, sent (not published) where the command-queue convention says, reach the pipeline.</summary>
[Collection(TrainingCollection.Name)]
public sealed class CommandQueueTests(TrainingAppFactory app)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    static StartTrainingRun Command(string label) => new()
    {
        RunId = NewId.NextGuid(), ModelName = "deterioration-queues", FeatureSetVersion = "fs-test-1", DatasetVersion = "ds-test-1",
        LabelName = label, Algorithm = "gbdt", RequestedBy = "tests",
    };

    async Task<string?> StatusAsync(HttpClient http, Guid runId)
    {
        var response = await http.GetAsync($"/api/training/runs/{runId}");
        return response.IsSuccessStatusCode
            ? (await response.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("run").GetProperty("status").GetString()
            : null;
    }

    async Task SendAsync<T>(T command)
        where T : class =>
        await (await app.Services.GetRequiredService<IBus>().GetSendEndpoint(CommandQueues.AddressOf<T>())).Send(command);

    [Fact]
    public async Task StartTrainingRun_SentToItsCommandQueue_RunsThePipeline()
    {
        var label = PlatformInfrastructure.UniqueName("sent");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(100, seed: 31, "fs-test-1", constantLabel: 1));
        var command = Command(label);
        using var http = app.CreateClient();

        await SendAsync(command);

        // The single-class set ends the run at ValidateData: the command reached the saga and the step ran.
        await Eventually.WaitUntilAsync(async () => await StatusAsync(http, command.RunId) == "Failed", "the sent run failing at ValidateData");
        var run = (await http.GetFromJsonAsync<JsonElement>($"/api/training/runs/{command.RunId}", Json)).GetProperty("run");
        Assert.Equal(TrainingSteps.ValidateData, run.GetProperty("failedStep").GetString());
    }

    [Fact]
    public async Task CancelTrainingRun_SentToItsCommandQueue_CancelsTheRun()
    {
        var label = PlatformInfrastructure.UniqueName("sent-cancel");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(300, seed: 32, "fs-test-1"));
        var streaming = app.TrainingSets.Gate(label);
        var command = Command(label);
        using var http = app.CreateClient();
        await SendAsync(command);
        await streaming.WaitAsync(Eventually.DefaultTimeout);

        await SendAsync(new CancelTrainingRun { RunId = command.RunId, RequestedBy = "tests" });

        await Eventually.WaitUntilAsync(async () => await StatusAsync(http, command.RunId) is "Cancelled" or "Completed" or "Failed", "the run ending");
        app.TrainingSets.Open(label);
        Assert.Equal("Cancelled", await StatusAsync(http, command.RunId));
    }
}
