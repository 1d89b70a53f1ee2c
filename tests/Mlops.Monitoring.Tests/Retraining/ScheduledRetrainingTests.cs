using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mlops.Contracts.Monitoring;
using Mlops.Testing;

namespace Mlops.Monitoring.Tests.Retraining;

/// <summary>
/// The schedule trigger in the running host: a cron set for a model over <c>PUT /api/monitoring/models/{model}/settings</c>
/// reaches the host's real Quartz scheduler, which fires <c>ScheduledRetrainingJob</c>; its request starts the retraining
/// saga on the real RabbitMQ and PostgreSQL (the registry and ingestion are stood in for at their HTTP boundary; nothing
/// answers the training command, so the retraining waits in Training). Only generous waits, no timing asserted.
/// </summary>
public sealed class ScheduledRetrainingTests(MonitoringAppFactory factory) : IClassFixture<MonitoringAppFactory>
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task CronSetOverTheApi_QuartzFires_RetrainingSagaStartsWithTheScheduleTrigger()
    {
        var model = PlatformInfrastructure.UniqueName("scheduled");
        var championRun = Guid.NewGuid();
        factory.Registry.PutModel(model, "1.0.0", championRun, "ds-1", "fs-1");
        factory.Training.PutRun(championRun, new JsonObject
        {
            ["algorithm"] = "gbdt", ["labelName"] = "deterioration_24h", ["hyperparameters"] = new JsonObject { ["rounds"] = 20 }, ["seed"] = 1,
        }, new Dictionary<string, double> { ["auroc"] = 0.8 });
        using var http = factory.CreateClient();

        // Every fifth second, so the test need not wait for a weekly slot; Quartz's own cron syntax (seconds first).
        var put = await http.PutAsJsonAsync($"/api/monitoring/models/{model}/settings", new
        {
            retraining = new { schedule = "0/5 * * * * ?", timeZone = "Europe/Paris" }, updatedBy = "ops-erin",
        });

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var view = await put.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Equal("0/5 * * * * ?", view.GetProperty("retraining").GetProperty("schedule").GetString());
        JsonElement retraining = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            var list = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/retraining?model={model}", Json);
            retraining = list.EnumerateArray().FirstOrDefault(r => r.GetProperty("status").GetString() == "accepted");
            return retraining.ValueKind == JsonValueKind.Object && retraining.GetProperty("state").GetString() is "Training";
        }, "a scheduled retraining reached Training", TimeSpan.FromMinutes(1));
        Assert.Equal((RetrainingTriggers.Schedule, "monitoring:schedule"), (retraining.GetProperty("trigger").GetString(), retraining.GetProperty("requestedBy").GetString()));
        Assert.Contains("0/5 * * * * ?", retraining.GetProperty("reason").GetString());
        var evidence = retraining.GetProperty("evidence");
        Assert.Equal($"DEFAULT.retrain-{model}", evidence.GetProperty("trigger").GetString());
        var due = evidence.GetProperty("scheduledFor").GetDateTimeOffset();
        Assert.Equal(0, due.Second % 5);
        Assert.Equal("1.0.0", retraining.GetProperty("championVersion").GetString());
        Assert.Contains(factory.Registry.Datasets, d => d["description"]!.GetValue<string>() == $"retraining {retraining.GetProperty("id").GetGuid()} of {model}");

        // The next fires are recorded and debounced while that retraining is under way (one per model).
        await Eventually.WaitUntilAsync(async () =>
        {
            var list = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/retraining?model={model}", Json);
            return list.EnumerateArray().Any(r => r.GetProperty("status").GetString() == "debounced" && r.GetProperty("trigger").GetString() == RetrainingTriggers.Schedule);
        }, "a later fire debounced", TimeSpan.FromMinutes(1));

        // Taken off the schedule: the settings say so (the trigger is removed from the scheduler in the same call).
        var off = await http.PutAsJsonAsync($"/api/monitoring/models/{model}/settings", new { retraining = new { onDegradation = false }, updatedBy = "ops-erin" });
        Assert.Equal(HttpStatusCode.OK, off.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await off.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("retraining").GetProperty("schedule").ValueKind);
    }
}
