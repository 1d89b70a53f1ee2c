using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Cli.Core.Csv;
using Mlops.Cli.Core.Gateway;
using Mlops.Cli.Core.Streaming;
using Mlops.Cli.Core.Ward;
using Mlops.Contracts.Features;
using Mlops.Contracts.Kafka;
using Mlops.EndToEnd.Tests.Dashboard;
using Mlops.EndToEnd.Tests.Platform;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Mlops.EndToEnd.Tests;

/// <summary>
/// The monitoring loop closed on the shipped services, through the gateway: a champion scores live vitals (its predictions
/// on <c>predictions.v1</c>, each with a <c>predictionId</c>); outcomes that turn against it arrive on <c>labels.v1</c>
/// naming the predictions they answer; monitoring joins them by
/// <c>predictionId</c>, scores the window and raises <c>PerformanceDegraded</c>; the degradation trigger starts the
/// retraining saga, which trains on a fresh snapshot (training scores the champion on the same newest held-out rows),
/// passes the promotion policy, rolls the candidate out through the registry and records the promotion; the registry's
/// champion alias and the gateway's answers then name the new version.
/// </summary>
[Collection(JourneyCollection.Name)]
public sealed class DegradationJourneyTests(PlatformFixture fixture, ITestOutputHelper output)
{
    const int Entities = 200;

    /// <summary>
    /// Rounds of live vitals: each round is scored once per patient, and every prediction gets its patient's outcome, so
    /// the recent outcomes outnumber the history's in the retraining's snapshot.
    /// </summary>
    const int Rounds = 3;

    [Fact]
    public async Task LabelsTurnAgainstTheChampion_DegradationRetrainsAndRollsOutANewChampion_ThroughTheGateway()
    {
        var total = Stopwatch.StartNew();
        foreach (var line in fixture.StartLog)
        {
            output.WriteLine(line);
        }

        var platform = fixture.Platform;
        using var client = new GatewayClient(platform.Gateway, platform.ApiKey, TimeSpan.FromMinutes(2));
        var run = Guid.NewGuid().ToString("N")[..8];
        // A model and label of their own: earlier runs against the same databases leave champions, windows and outcomes.
        var model = $"degrade-{run}";
        var ward = WardGenerator.Generate(new WardOptions
        {
            Patients = Entities,
            Seed = 20261203,
            HistoryHours = 8,
            AssessmentSpreadHours = 6,
            EntityPrefix = $"e2e-degrade-{run}-",
            LabelName = $"{WardOptions.DefaultLabelName}_degrade_{run}",
            SourceSystem = $"e2e-degrade-{run}",
        });
        var entities = ward.Patients.Select(p => p.EntityId).ToList();

        var journey = new JourneySteps("degradation journey", Log, platform);
        Task<T> Step<T>(string name, Func<Task<T>> action, params string[] services) => journey.RunAsync(name, action, services);

        await journey.GatewayReadyAsync(client);

        await journey.HistoryOutcomesAndFeaturesAsync(client, ward);

        Guid? rolloutId = null;
        Guid? webhook = null;
        var retired = false;
        await using var receiver = await WebhookReceiver.StartAsync();
        try
        {
            var champion = await Step("champion trained, registered and served through the gateway", async () =>
            {
                var featureSet = (await client.GetFeatureDefinitionsAsync(CancellationToken.None))?["version"]?.GetValue<string>();
                var dataset = (await client.CreateDatasetVersionAsync("e2e-degrade", "degradation journey snapshot",
                    // The ward's history and its live vitals: the retraining's snapshot takes the champion's scope, and learns from both.
                    new DatasetScope([ward.Options.SourceSystem, ward.Options.SourceSystem + "-live"]), CancellationToken.None))?["version"]?.GetValue<string>();
                var runId = await client.StartRunAsync(new JsonObject
                {
                    ["modelName"] = model,
                    ["featureSetVersion"] = featureSet,
                    ["datasetVersion"] = dataset,
                    ["labelName"] = ward.Options.LabelName,
                    // As the canary journey: shallow, slow-learning members pass training's gate on this little data.
                    ["algorithm"] = "bagged_gbdt",
                    ["hyperparameters"] = new JsonObject { ["members"] = 3, ["rounds"] = 60, ["learning_rate"] = 0.05, ["max_depth"] = 3, ["min_samples_leaf"] = 20 },
                    ["seed"] = 7,
                    ["requestedBy"] = "e2e-degrade",
                }, CancellationToken.None);
                JsonNode? view = null;
                await Eventually.WaitUntilAsync(async () =>
                {
                    view = await client.GetRunAsync(runId, CancellationToken.None);
                    return view?["run"]?["status"]?.GetValue<string>() is "Completed" or "Failed" or "Cancelled";
                }, $"run {runId} finishes", TimeSpan.FromMinutes(4));
                Assert.True(view!["run"]!["status"]!.GetValue<string>() == "Completed", $"run {runId} is {view["run"]!["status"]}: {view["run"]!["failureReason"]}");
                var version = await JourneyWaits.RegisteredVersionAsync(client, model, runId, TimeSpan.FromMinutes(2), CancellationToken.None);
                Assert.True(version is not null, $"no version of {model} from run {runId} in the registry");
                var promotion = await client.RequestPromotionAsync(model, version!, "champion", "e2e-degrade", "degradation journey baseline", CancellationToken.None);
                if (promotion?["status"]?.GetValue<string>() == "PendingApproval")
                {
                    await client.ApprovePromotionAsync(model, Guid.Parse(promotion["promotionId"]!.GetValue<string>()), "e2e-approver", "degradation journey baseline", CancellationToken.None);
                }

                await Eventually.WaitUntilAsync(async () => await AnswerAsync(client, model, entities[0]) is { Fallback: false } a && a.Version == version,
                    $"{model} answers with champion {version}", TimeSpan.FromMinutes(2));
                Log($"run {runId}: test auroc {view["run"]!["metrics"]?["auroc"]} → champion {version}");
                return version!;
            }, "training", "registry", "inference", "gateway");

            await Step($"monitoring settings of {model} set over the API", async () =>
            {
                // This model's outcomes are known within half a minute and its windows last as long, so it is judged while
                // the test runs; the degradation trigger is on, and its candidates roll out in one 20 s analysed step.
                // Set through the public API, as a team would for its own model; the shipped files stay as they are.
                var view = await client.SendAsync(HttpMethod.Put, $"api/monitoring/models/{model}/settings", new JsonObject
                {
                    ["performance"] = new JsonObject
                    {
                        ["label"] = ward.Options.LabelName, ["horizon"] = "00:00:30", ["windowDuration"] = "00:00:30", ["labelLateness"] = "00:00:10", ["minLabeled"] = 60,
                    },
                    ["retraining"] = new JsonObject
                    {
                        ["onDegradation"] = true,
                        ["rollout"] = new JsonObject
                        {
                            ["steps"] = new JsonArray(100), ["analysisInterval"] = "00:00:20", ["maxErrorRate"] = 0.05, ["maxP99LatencyMs"] = 5000,
                            ["minRequests"] = 10, ["failureLimit"] = 0, ["consecutiveSuccesses"] = 1,
                        },
                    },
                    ["updatedBy"] = "e2e-degrade",
                }, null, CancellationToken.None);
                Assert.Equal("00:00:30", view?["performance"]?["windowDuration"]?.GetValue<string>());
                Assert.True(view?["retraining"]?["onDegradation"]?.GetValue<bool>());
                return true;
            }, "monitoring");

            webhook = await Step("a webhook subscribed to PerformanceDegraded alerts, at a receiver the test hosts", async () =>
            {
                var subscription = await client.SendAsync(HttpMethod.Post, "api/monitoring/webhooks", new JsonObject
                {
                    ["url"] = receiver.Url.ToString(), ["secret"] = $"e2e-degrade-{run}-secret", ["eventTypes"] = new JsonArray("PerformanceDegraded"),
                }, null, CancellationToken.None);
                return subscription!["webhookId"]!.GetValue<Guid>();
            }, "monitoring");

            var predictions = await Step("live vitals scored by the champion on predictions.v1, then outcomes against it on labels.v1", async () =>
            {
                // Predictions reach monitoring on predictions.v1 (inference's streaming scoring): live vitals for every
                // patient, each scored by the champion with a prediction id, read back as a consumer of the topic would.
                using var stream = PredictionStream.Open(PlatformInfrastructure.Configuration);
                var mine = entities.ToHashSet();
                var made = new Dictionary<string, PredictionEvent>();
                var sentCount = 0;
                for (var round = 1; round <= Rounds; round++)
                {
                    // Each round in a second of its own: observation ids carry the second, and a pipeline that scores a
                    // round within a second would otherwise get the next round's vitals as duplicates of this one's.
                    var at = DateTimeOffset.UtcNow.AddSeconds(round - Rounds);
                    var live = ward.Patients.SelectMany(p => WardGenerator.LiveVitals(ward.Options, p, at, 0.5).Where(o => o.Code == "heart_rate"))
                        .Select((o, i) => ($"round {round} #{i}", ObservationCsv.ToJson(o))).ToList();
                    var sent = await Uploads.ObservationsAsync(client, live, 1000, null, CancellationToken.None);
                    Assert.True(sent.Refused.Count == 0, $"{sent.Refused.Count} live observations refused, e.g. {sent.Refused.FirstOrDefault()?.Reason}");
                    sentCount += live.Count;
                    // Until every patient has this round's score, or the stream has been quiet for a while after most have.
                    var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
                    var quietSince = DateTime.UtcNow;
                    int Scored() => made.Values.GroupBy(p => p.EntityId).Count(g => g.Count() >= round);
                    while (DateTime.UtcNow < deadline && Scored() < Entities && !(Scored() >= Entities * 9 / 10 && DateTime.UtcNow - quietSince > TimeSpan.FromSeconds(5)))
                    {
                        if (stream.Next(TimeSpan.FromSeconds(1)) is { Streamed: true } p && p.ModelName == model && mine.Contains(p.EntityId) && p.PredictionId is { } id)
                        {
                            made[id] = p;
                            quietSince = DateTime.UtcNow;
                        }
                    }
                }

                var wrong = made.Values.Where(p => p.Fallback || p.ModelVersion != champion || p.Variant != "champion").ToList();
                Assert.True(wrong.Count == 0, $"{wrong.Count} predictions not by champion {champion}, e.g. {wrong.FirstOrDefault()}");
                Assert.True(made.Count >= sentCount * 2 / 3, $"only {made.Count} of {sentCount} live observations scored on predictions.v1");
                // The world changed: the patients the champion now ranks lowest deteriorate, those it ranks highest do not.
                // One outcome per patient (from its latest score), given to each of its predictions by prediction id.
                var latest = made.Values.GroupBy(p => p.EntityId).ToDictionary(g => g.Key, g => g.MaxBy(p => p.PredictedAt)!.Probability);
                var median = latest.Values.Order().ElementAt(latest.Count / 2);
                var labelledAt = DateTimeOffset.UtcNow;
                using var upstream = UpstreamProducer();
                await upstream.StartAsync();
                var producer = upstream.Services.GetRequiredService<IEventProducer>();
                foreach (var p in made.Values)
                {
                    await producer.ProduceAsync(Topics.Labels, p.EntityId, new LabelRecorded
                    {
                        LabelId = $"e2e-degrade-{p.PredictionId}", EntityId = p.EntityId, Name = ward.Options.LabelName, Value = latest[p.EntityId] < median ? 1 : 0,
                        EventTime = labelledAt, PredictionId = p.PredictionId,
                    });
                }

                await upstream.StopAsync();
                Log($"{sentCount} live observations in {Rounds} rounds → {made.Count} predictions of {latest.Count} patients on predictions.v1 (latest probabilities {latest.Values.Min():0.000}–{latest.Values.Max():0.000}, median {median:0.000}); {made.Count} outcomes produced");
                return made.Values.ToList();
            }, "gateway", "ingestion", "features", "inference");

            var alert = await Step("monitoring joins the outcomes by predictionId and raises PerformanceDegraded", async () =>
            {
                JsonNode? found = null;
                await Eventually.WaitUntilAsync(async () =>
                {
                    var alerts = await client.SendAsync(HttpMethod.Get, $"api/monitoring/alerts?model={model}&type=PerformanceDegraded", null, null, CancellationToken.None);
                    found = alerts?.AsArray().FirstOrDefault(a => a?["modelVersion"]?.GetValue<string>() == champion);
                    return found is not null;
                }, $"a PerformanceDegraded alert for {model} {champion}", TimeSpan.FromMinutes(2));
                var windows = await client.SendAsync(HttpMethod.Get, $"api/monitoring/models/{model}/performance?version={champion}&variant=champion", null, null, CancellationToken.None);
                var degraded = windows!.AsArray().Where(w => w?["degraded"]?.GetValue<bool>() == true).ToList();
                Assert.NotEmpty(degraded);
                var window = degraded[^1]!;
                var labeled = window["labeled"]!.GetValue<int>();
                var auroc = window["auroc"]!.GetValue<double>();
                var baseline = window["baselineAuroc"]!.GetValue<double>();
                Assert.True(labeled >= 60, $"window scored with {labeled} labelled predictions");
                Assert.True(auroc < baseline - 0.05, $"window AUROC {auroc} not below baseline {baseline} by the margin");
                Assert.Equal("version", window["baselineSource"]!.GetValue<string>());
                Log($"window {window["windowId"]}: {window["predictions"]} predictions, {labeled} labelled, AUROC {auroc:0.000} vs baseline {baseline:0.000} → alert {found!["alertId"]}");
                return found!;
            }, "monitoring");

            var retraining = await Step("the degradation trigger starts a retraining that trains, compares, rolls out and promotes", async () =>
            {
                JsonNode? view = null;
                var next = 0;
                await JourneyModels.WithLastState(() => view?.ToJsonString(), () => Eventually.WaitUntilAsync(async () =>
                {
                    var list = await client.SendAsync(HttpMethod.Get, $"api/monitoring/retraining?model={model}", null, null, CancellationToken.None);
                    view = list?.AsArray().FirstOrDefault(r => r?["status"]?.GetValue<string>() == "accepted");
                    var state = view?["state"]?.GetValue<string>();
                    if (state == "RollingOut")
                    {
                        // Traffic keeps flowing so the rollout's analysis has the candidate's requests to measure.
                        var batch = Enumerable.Range(0, 30).Select(i => entities[(next + i) % entities.Count]).ToList();
                        next += batch.Count;
                        await PredictAllAsync(client, model, batch);
                    }

                    return state is "Promoted" or "Rejected" or "Failed" or "RolledBack";
                }, $"the retraining of {model} ends", TimeSpan.FromMinutes(5)));
                Assert.True(view!["state"]!.GetValue<string>() == "Promoted", $"the retraining ended {view["state"]}: {view["outcomeReason"]}\n{view.ToJsonString()}");
                return view!;
            }, "monitoring", "training", "registry", "inference", "ingestion");

            Log($"retraining: {retraining.ToJsonString()}");
            rolloutId = retraining["rolloutId"]?.GetValue<Guid>();
            var candidate = retraining["candidateVersion"]!.GetValue<string>();
            var retrainingId = retraining["id"]!.GetValue<Guid>();
            Assert.Equal(("degradation", "monitoring:performance"), (retraining["trigger"]!.GetValue<string>(), retraining["requestedBy"]!.GetValue<string>()));
            Assert.Equal(alert["alertId"]!.GetValue<string>(), retraining["evidence"]!["alertId"]!.GetValue<string>());
            Assert.Equal(champion, retraining["championVersion"]!.GetValue<string>());
            Assert.NotEqual(champion, candidate);
            var steps = retraining["steps"]!.AsArray();
            Assert.Equal(["prepare", "train", "evaluate", "rollout"], steps.Select(s => s!["step"]!.GetValue<string>()));
            Assert.All(steps, s => Assert.Equal(s!["step"]!.GetValue<string>() == "rollout" ? "promoted" : "done", s["outcome"]!.GetValue<string>()));
            // The candidate and the champion were scored on the same newest held-out rows — the recent, relabelled ones.
            var comparison = retraining["comparison"]!;
            var candidateAuroc = comparison["candidate"]!["auroc"]!.GetValue<double>();
            var championAuroc = comparison["champion"]!["auroc"]!.GetValue<double>();
            Assert.True(comparison["promote"]!.GetValue<bool>());
            Assert.True(candidateAuroc > championAuroc, $"candidate AUROC {candidateAuroc} not above the champion's {championAuroc} on the same rows");
            Assert.True(comparison["rows"]!.GetValue<int>() > 0);

            await Step($"the training run behind {candidate} came from the retraining and scored the champion beside it", async () =>
            {
                var runView = await client.GetRunAsync(retrainingId, CancellationToken.None);
                var parameters = runView!["run"]!["parameters"]!;
                Assert.Equal((model, ward.Options.LabelName, champion), (parameters["modelName"]?.GetValue<string>() ?? model,
                    parameters["labelName"]!.GetValue<string>(), parameters["compareWithVersion"]!.GetValue<string>()));
                Assert.Equal(steps[0]!["evidence"]!["datasetVersion"]!.GetValue<string>(), parameters["datasetVersion"]!.GetValue<string>());
                var metrics = runView["run"]!["metrics"]!;
                Assert.Equal(championAuroc, metrics["compared_auroc"]!.GetValue<double>());
                Assert.Equal(candidateAuroc, metrics["auroc"]!.GetValue<double>());
                return true;
            }, "training");

            await Step($"the registry's champion is {candidate}, and the gateway's answers name it", async () =>
            {
                var state = await client.GetModelAsync(model, CancellationToken.None);
                Assert.Equal(candidate, state?["aliases"]?["champion"]?.GetValue<string>());
                var rollout = await client.SendAsync(HttpMethod.Get, $"api/registry/rollouts/{rolloutId}", null, null, CancellationToken.None);
                Assert.Equal(("Promoted", candidate, "retraining"), (rollout!["state"]!.GetValue<string>(), rollout["candidateVersion"]!.GetValue<string>(),
                    rollout["requestedBy"]!.GetValue<string>()));
                await Eventually.WaitUntilAsync(async () => (await PredictAllAsync(client, model, entities.Take(30).ToList())).All(p => p.Variant == "champion" && p.Version == candidate),
                    $"the first 30 entities answered by champion {candidate}", TimeSpan.FromMinutes(1));
                var all = await PredictAllAsync(client, model, entities);
                var other = all.Where(p => p.Variant != "champion" || p.Version != candidate || p.Fallback).ToList();
                Assert.True(other.Count == 0, $"{other.Count} entities not on champion {candidate}, e.g. {other.FirstOrDefault()}");
                return true;
            }, "registry", "inference", "gateway");

            await Step("the dashboard's monitoring page and retraining card in a browser: performance windows, the alert's webhook delivery, the retraining", async () =>
            {
                await MonitoringDashboardJourney.RunAsync(platform.Gateway, client,
                    new MonitoringDashboardJourney.Data(model, retrainingId, alert["alertId"]!.GetValue<Guid>(), webhook!.Value, receiver), Log);
                return true;
            }, "gateway", "monitoring");

            await Step($"{model} retired", async () =>
            {
                await JourneyModels.RetireAsync(client, model, rolloutId, "e2e-degrade", "the degradation journey is over");
                retired = true;
                return true;
            }, "registry");
            Log($"degradation journey complete in {total.Elapsed.TotalSeconds:0} s ({predictions.Count} labelled predictions)");
        }
        finally
        {
            if (webhook is { } id)
            {
                try
                {
                    // Left subscribed, every later run's PerformanceDegraded would be sent to a port nobody listens on.
                    await client.SendAsync(HttpMethod.Delete, $"api/monitoring/webhooks/{id}", null, null, CancellationToken.None);
                }
                catch (Exception ex)
                {
                    Log($"webhook {id} could not be deleted: {ex.Message}");
                }
            }

            if (!retired)
            {
                try
                {
                    await JourneyModels.RetireAsync(client, model, rolloutId, "e2e-degrade", "the degradation journey failed");
                    Log($"{model} retired after the failure");
                }
                catch (Exception ex)
                {
                    Log($"{model} could not be retired after the failure: {ex.Message}");
                }
            }
        }
    }

    sealed record Prediction(string Entity, string? PredictionId, double Probability, string? Variant, string? Version, bool Fallback);

    sealed record Answer(string? Variant, string? Version, bool Fallback);

    /// <summary>The producer an upstream system (here: the ward's outcome feed) uses, with the platform's Kafka settings.</summary>
    static IHost UpstreamProducer()
    {
        var builder = TestHost.CreateBuilder("e2e-degrade-outcomes");
        builder.AddPlatformKafka();
        return builder.Build();
    }

    /// <summary>One prediction through the gateway; null while the entity cannot be scored yet.</summary>
    static async Task<Answer?> AnswerAsync(GatewayClient client, string model, string entity)
    {
        try
        {
            var body = await client.PredictAsync(model, entity, CancellationToken.None);
            return new Answer(body?["variant"]?.GetValue<string>(), body?["modelVersion"]?.GetValue<string>(), body?["fallback"]?.GetValue<bool>() ?? false);
        }
        catch (ApiProblem problem) when (problem.Status is HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable or HttpStatusCode.UnprocessableEntity)
        {
            return null;
        }
    }

    /// <summary>A prediction for every entity, a few at a time; an entity that cannot be scored fails the step.</summary>
    static async Task<List<Prediction>> PredictAllAsync(GatewayClient client, string model, IReadOnlyList<string> entities)
    {
        var answers = new ConcurrentBag<Prediction>();
        await Parallel.ForEachAsync(entities, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (entity, _) =>
        {
            var body = await client.PredictAsync(model, entity, CancellationToken.None);
            answers.Add(new Prediction(entity, body?["predictionId"]?.GetValue<string>(), body?["probability"]?.GetValue<double>() ?? double.NaN,
                body?["variant"]?.GetValue<string>(), body?["modelVersion"]?.GetValue<string>(), body?["fallback"]?.GetValue<bool>() ?? false));
        });
        return [.. answers];
    }

    void Log(string line) => output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{DateTime.UtcNow:HH:mm:ss}] {line}"));
}
