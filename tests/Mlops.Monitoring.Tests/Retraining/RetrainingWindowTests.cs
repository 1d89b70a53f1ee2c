using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Registry;
using Mlops.Contracts.Training;
using Mlops.Testing;

namespace Mlops.Monitoring.Tests.Retraining;

/// <summary>
/// Retraining over a recent data window on the real broker: a model's <c>trainingWindow</c> setting becomes the
/// training run's <c>LabelsFrom</c>, fixed when the retraining is prepared and shown in the prepare step's evidence.
/// </summary>
public sealed class RetrainingWindowTests(MonitoringAppFactory factory) : IClassFixture<MonitoringAppFactory>
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task ManualTrigger_ModelWithTrainingWindow_TrainingRunAsksForLabelsOfThatRecentWindowOnly()
    {
        var model = PlatformInfrastructure.UniqueName("retrain-window");
        var championRun = Guid.NewGuid();
        factory.Registry.PutModel(model, "3.0.0", championRun, "ds-1", "fs-1");
        factory.Training.PutRun(championRun, new JsonObject { ["algorithm"] = "gbdt", ["labelName"] = "deterioration_24h", ["seed"] = 1 },
            new Dictionary<string, double> { ["auroc"] = 0.8 });
        var runs = new List<StartTrainingRun>();
        var bus = factory.Services.GetRequiredService<IBus>();
        var trainingQueue = bus.ConnectReceiveEndpoint(CommandQueues.NameOf<StartTrainingRun>(), e =>
        {
            e.ConfigureConsumeTopology = false;
            e.Handler<StartTrainingRun>(context =>
            {
                if (context.Message.ModelName == model)
                {
                    lock (runs)
                    {
                        runs.Add(context.Message);
                    }
                }

                return Task.CompletedTask;
            });
        });
        await trainingQueue.Ready;
        try
        {
            using var http = factory.CreateClient();
            var settings = await http.PutAsJsonAsync($"/api/monitoring/models/{model}/settings", new { retraining = new { trainingWindow = "30.00:00:00" }, updatedBy = "ops-erin" });
            var refused = await http.PutAsJsonAsync($"/api/monitoring/models/{model}/settings", new { retraining = new { trainingWindow = "-1.00:00:00" }, updatedBy = "ops-erin" });
            Assert.Equal(HttpStatusCode.OK, settings.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.True((await refused.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("errors").TryGetProperty("retraining.trainingWindow", out _));

            var before = DateTimeOffset.UtcNow;
            var response = await http.PostAsJsonAsync("/api/monitoring/retraining", new { modelName = model, reason = "recent data only", requestedBy = "ops-erin" });
            var preparedView = await WaitForAsync(http, response.Headers.Location!, v => Text(v, "state") == "Training", "the retraining training");
            var after = DateTimeOffset.UtcNow;

            await Eventually.WaitUntilAsync(() => { lock (runs) { return runs.Count == 1; } }, "the training run asked for");
            var from = runs[0].LabelsFrom!.Value;
            // Fixed once, when the retraining was prepared: 30 days before then.
            Assert.InRange(from, before.AddDays(-30).AddSeconds(-1), after.AddDays(-30));
            var prepare = preparedView.GetProperty("steps")[0].GetProperty("evidence");
            Assert.Equal(from, DateTimeOffset.Parse(prepare.GetProperty("labelsFrom").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            await trainingQueue.StopAsync();
        }
    }

    async Task<JsonElement> WaitForAsync(HttpClient http, Uri location, Func<JsonElement, bool> done, string what)
    {
        JsonElement view = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            var response = await http.GetAsync(location);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }

            view = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
            return done(view);
        }, what, TimeSpan.FromSeconds(60));
        return view;
    }

    static string? Text(JsonElement view, string name) => view.GetProperty(name).ValueKind == JsonValueKind.Null ? null : view.GetProperty(name).GetString();
}
