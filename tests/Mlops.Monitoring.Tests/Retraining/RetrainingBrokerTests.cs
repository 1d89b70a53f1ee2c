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
/// The shipped monitoring host over the real RabbitMQ (its own virtual host) and PostgreSQL (its own database): a manual
/// retraining over HTTP runs the whole saga on the PostgreSQL saga repository with the durable outbox. The training
/// service is stood in for at its boundaries only — its <c>start-training-run</c> queue (a receive endpoint connected
/// here, answering with <c>TrainingRunCompleted</c>) and its run records over HTTP — as are the registry's and
/// ingestion's HTTP APIs; the rollout's outcome is published on the bus as the registry's rollout saga publishes it.
/// </summary>
public sealed class RetrainingBrokerTests(MonitoringAppFactory factory) : IClassFixture<MonitoringAppFactory>
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

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

    [Fact]
    public async Task ManualTrigger_BetterCandidate_TrainsComparesRollsOutAndRecordsPromotionThenDebouncesTheNext()
    {
        var model = PlatformInfrastructure.UniqueName("retrain");
        var championRun = Guid.NewGuid();
        factory.Registry.PutModel(model, "1.0.0", championRun, "ds-1", "fs-1");
        factory.Training.PutRun(championRun, new JsonObject
        {
            ["algorithm"] = "gbdt", ["labelName"] = "deterioration_24h", ["hyperparameters"] = new JsonObject { ["rounds"] = 20 },
            ["features"] = new JsonArray("heart_rate_*", "news2"), ["seed"] = 3,
        }, new Dictionary<string, double> { ["auroc"] = 0.8 });
        var runs = new List<StartTrainingRun>();
        var bus = factory.Services.GetRequiredService<IBus>();
        // Training's command queue, by the one naming convention; answered as the training saga does once the version is registered.
        var training = bus.ConnectReceiveEndpoint(CommandQueues.NameOf<StartTrainingRun>(), e =>
        {
            e.ConfigureConsumeTopology = false;
            e.Handler<StartTrainingRun>(async context =>
            {
                var run = context.Message;
                lock (runs)
                {
                    runs.Add(run);
                }

                factory.Training.PutRun(run.RunId, (JsonObject)JsonSerializer.SerializeToNode(run, Json)!, new Dictionary<string, double>
                {
                    ["auroc"] = 0.84, ["log_loss"] = 0.30, ["brier"] = 0.09, ["test_rows"] = 600,
                    ["compared_auroc"] = 0.80, ["compared_log_loss"] = 0.33, ["compared_brier"] = 0.10, ["compared_rows"] = 600,
                });
                await context.Publish(new TrainingRunCompleted { RunId = run.RunId, ModelName = run.ModelName, ModelVersion = "1.1.0", ArtifactSha256 = new string('b', 64) });
            });
        });
        await training.Ready;
        try
        {
            using var http = factory.CreateClient();

            var response = await http.PostAsJsonAsync("/api/monitoring/retraining", new { modelName = model, reason = "labels turned against the champion", requestedBy = "ops-alice" });

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var location = response.Headers.Location!;
            var rolling = await WaitForAsync(http, location, v => Text(v, "state") == "RollingOut" && Text(v, "rolloutId") is not null, "the retraining rolling out");
            var run = Assert.Single(runs);
            Assert.Equal((model, "1.0.0", "gbdt", "deterioration_24h", "ds-standin-1", "fs-1", 3), (run.ModelName, run.CompareWithVersion, run.Algorithm, run.LabelName, run.DatasetVersion, run.FeatureSetVersion, run.Seed));
            Assert.Equal(["heart_rate_*", "news2"], run.Features);
            Assert.Null(run.LabelsFrom); // no training window set: all of the snapshot
            Assert.Equal(rolling.GetProperty("id").GetGuid(), run.RunId);
            var (body, rolloutId) = Assert.Single(factory.Registry.Rollouts);
            Assert.Equal((model, "1.1.0"), (body["modelName"]!.GetValue<string>(), body["candidateVersion"]!.GetValue<string>()));
            Assert.Equal([10, 50, 100], body["steps"]!.AsArray().Select(s => s!.GetValue<int>()));
            Assert.Equal(rolloutId, rolling.GetProperty("rolloutId").GetGuid());

            // Another trigger while this one runs: recorded, debounced, naming the retraining under way.
            var second = await http.PostAsJsonAsync("/api/monitoring/retraining", new { modelName = model, reason = "again", requestedBy = "ops-bob" });
            var debounced = await WaitForAsync(http, second.Headers.Location!, v => Text(v, "status") == "debounced", "the second request debounced");
            Assert.Contains("is under way", Text(debounced, "debounceReason"));

            await bus.Publish(new RolloutPromoted
            {
                RolloutId = rolloutId, ModelName = model, CandidateVersion = "1.1.0", Step = 2, Analysis = 3, PromotedBy = "rollout", Reason = "every step passed its analysis",
            });

            var promoted = await WaitForAsync(http, location, v => Text(v, "state") == "Promoted", "the retraining promoted");
            Assert.Equal("Promoted", Text(promoted, "outcome"));
            Assert.Equal(["prepare", "train", "evaluate", "rollout"], promoted.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("step").GetString()));
            var evaluate = promoted.GetProperty("steps")[2].GetProperty("evidence");
            Assert.Equal(("0.84", "0.8", "600"), (evaluate.GetProperty("candidateAuroc").GetString(), evaluate.GetProperty("championAuroc").GetString(), evaluate.GetProperty("rows").GetString()));
            Assert.True(promoted.GetProperty("comparison").GetProperty("promote").GetBoolean());

            // RetrainingCompleted frees the model and starts the shipped cooldown (6 h): the next request is debounced for it.
            var modelStatus = new Uri($"/api/monitoring/retraining/models/{model}", UriKind.Relative);
            var status = await WaitForAsync(http, modelStatus, v => Text(v, "activeRetrainingId") is null, "the model freed");
            Assert.Equal(run.RunId, status.GetProperty("lastRetrainingId").GetGuid());
            Assert.InRange(status.GetProperty("cooldownUntil").GetDateTimeOffset() - promoted.GetProperty("finishedAt").GetDateTimeOffset(),
                TimeSpan.FromHours(6) - TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(6)); // PostgreSQL keeps microseconds
            var third = await http.PostAsJsonAsync("/api/monitoring/retraining", new { modelName = model, reason = "once more", requestedBy = "ops-carol" });
            var cooled = await WaitForAsync(http, third.Headers.Location!, v => Text(v, "status") == "debounced", "the third request debounced by the cooldown");
            Assert.StartsWith("cooldown after retraining", Text(cooled, "debounceReason"));
            var list = await http.GetFromJsonAsync<JsonElement>($"/api/monitoring/retraining?model={model}", Json);
            Assert.Equal(3, list.GetArrayLength());
        }
        finally
        {
            await training.StopAsync();
        }
    }

    [Fact]
    public async Task ManualTrigger_WorseCandidate_RejectedWithBothModelsFiguresAndNoRollout()
    {
        var model = PlatformInfrastructure.UniqueName("retrain-worse");
        var championRun = Guid.NewGuid();
        factory.Registry.PutModel(model, "2.0.0", championRun, "ds-1", "fs-1");
        factory.Training.PutRun(championRun, new JsonObject
        {
            ["algorithm"] = "bagged_gbdt", ["labelName"] = "deterioration_24h", ["hyperparameters"] = new JsonObject { ["members"] = 3 }, ["seed"] = 5,
        }, new Dictionary<string, double> { ["auroc"] = 0.8 });
        var bus = factory.Services.GetRequiredService<IBus>();
        // Training's command queue, answered as the training saga does: the candidate ranks worse than the champion on the same held-out rows.
        var training = bus.ConnectReceiveEndpoint(CommandQueues.NameOf<StartTrainingRun>(), e =>
        {
            e.ConfigureConsumeTopology = false;
            e.Handler<StartTrainingRun>(async context =>
            {
                var run = context.Message;
                if (run.ModelName != model)
                {
                    return;
                }

                factory.Training.PutRun(run.RunId, (JsonObject)JsonSerializer.SerializeToNode(run, Json)!, new Dictionary<string, double>
                {
                    ["auroc"] = 0.74, ["log_loss"] = 0.35, ["brier"] = 0.11, ["test_rows"] = 400,
                    ["compared_auroc"] = 0.79, ["compared_log_loss"] = 0.33, ["compared_brier"] = 0.10, ["compared_rows"] = 400,
                });
                await context.Publish(new TrainingRunCompleted { RunId = run.RunId, ModelName = run.ModelName, ModelVersion = "2.1.0", ArtifactSha256 = new string('c', 64) });
            });
        });
        await training.Ready;
        try
        {
            using var http = factory.CreateClient();
            // This model's own cooldown instead of the service's 6 h.
            var settings = await http.PutAsJsonAsync($"/api/monitoring/models/{model}/settings", new { retraining = new { cooldown = "00:45:00" }, updatedBy = "ops-dana" });
            Assert.True(settings.IsSuccessStatusCode, await settings.Content.ReadAsStringAsync());
            var refused = await http.PutAsJsonAsync($"/api/monitoring/models/{model}/settings", new { retraining = new { cooldown = "-00:01:00" }, updatedBy = "ops-dana" });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.True((await refused.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("errors").TryGetProperty("retraining.cooldown", out _));

            var response = await http.PostAsJsonAsync("/api/monitoring/retraining", new { modelName = model, reason = "weekly check", requestedBy = "ops-dana" });

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var rejected = await WaitForAsync(http, response.Headers.Location!, v => Text(v, "state") is "Rejected" or "Failed" or "Promoted" or "RollingOut", "the retraining judged");
            Assert.Equal(("Rejected", "Rejected", "2.0.0", "2.1.0"), (Text(rejected, "state"), Text(rejected, "outcome"), Text(rejected, "championVersion"), Text(rejected, "candidateVersion")));
            var reason = Text(rejected, "outcomeReason")!;
            Assert.StartsWith("the candidate did not pass the promotion policy", reason);
            Assert.Contains("AUROC 0.74 < champion 0.79", reason);
            Assert.Contains("log loss 0.35 > champion 0.33", reason);
            Assert.Equal(["prepare", "train", "evaluate"], rejected.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("step").GetString()));
            var evaluate = rejected.GetProperty("steps")[2];
            Assert.Equal("rejected", evaluate.GetProperty("outcome").GetString());
            Assert.Equal(("0.74", "0.79", "400"), (evaluate.GetProperty("evidence").GetProperty("candidateAuroc").GetString(),
                evaluate.GetProperty("evidence").GetProperty("championAuroc").GetString(), evaluate.GetProperty("evidence").GetProperty("rows").GetString()));
            Assert.False(rejected.GetProperty("comparison").GetProperty("promote").GetBoolean());
            Assert.DoesNotContain(factory.Registry.Rollouts, r => r.Body["modelName"]!.GetValue<string>() == model);
            // The model is free again (with its cooldown): the rejection ended the retraining.
            var status = await WaitForAsync(http, new Uri($"/api/monitoring/retraining/models/{model}", UriKind.Relative), v => Text(v, "activeRetrainingId") is null, "the model freed");
            Assert.Equal(rejected.GetProperty("id").GetGuid(), status.GetProperty("lastRetrainingId").GetGuid());
            Assert.InRange(status.GetProperty("cooldownUntil").GetDateTimeOffset() - rejected.GetProperty("finishedAt").GetDateTimeOffset(),
                TimeSpan.FromMinutes(45) - TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(45)); // PostgreSQL keeps microseconds
        }
        finally
        {
            await training.StopAsync();
        }
    }

    [Fact]
    public async Task PostRetraining_MissingFields_Returns400NamingEachField()
    {
        using var http = factory.CreateClient();

        var response = await http.PostAsJsonAsync("/api/monitoring/retraining", new { modelName = "", requestedBy = "ops" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.True(problem.GetProperty("errors").TryGetProperty("modelName", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("reason", out _));
        Assert.False(problem.GetProperty("errors").TryGetProperty("requestedBy", out _));
    }

    [Fact]
    public async Task PostRetraining_UnknownModel_Returns404NamingIt()
    {
        using var http = factory.CreateClient();

        var response = await http.PostAsJsonAsync("/api/monitoring/retraining", new { modelName = "never-registered", reason = "why not", requestedBy = "ops" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("never-registered", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task GetRetraining_UnknownId_Returns404()
    {
        using var http = factory.CreateClient();

        var response = await http.GetAsync($"/api/monitoring/retraining/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
