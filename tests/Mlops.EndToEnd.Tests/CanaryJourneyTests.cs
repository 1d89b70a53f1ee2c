using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Mlops.Cli.Core.Csv;
using Mlops.Cli.Core.Gateway;
using Mlops.Cli.Core.Streaming;
using Mlops.Cli.Core.Ward;
using Mlops.Contracts.Registry;
using Mlops.EndToEnd.Tests.Dashboard;
using Mlops.EndToEnd.Tests.Platform;
using Mlops.Testing;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Mlops.EndToEnd.Tests;

/// <summary>
/// Progressive delivery on the shipped configuration, through the gateway only: two versions trained from one
/// snapshot, the first serving as champion; a canary rollout of the second (50 % → 100 %) started over HTTP; while it
/// runs the gateway splits entities between the variants in the step's proportion and keeps each entity on its
/// variant, and <c>predictions.v1</c> carries both; the registry's analyses read inference's metrics at the shipped
/// address and promote the candidate, after which every entity gets the new champion; finally the old version is
/// mirrored as the shadow and the gateway reports the compared pairs. With that data in place the operations dashboard
/// is driven in a browser (<see cref="Dashboard.DashboardJourney"/>: every page against the APIs, a viewer refused,
/// approve, abort and promote now, a small search's trials).
/// </summary>
[Collection(JourneyCollection.Name)]
public sealed class CanaryJourneyTests(PlatformFixture fixture, ITestOutputHelper output)
{
    const int Entities = 300;

    /// <summary>The canary step whose split is measured.</summary>
    const int CanaryPercent = 50;

    [Fact]
    public async Task CanaryRollout_SplitsStickilyThenPromotes_ThroughTheGateway()
    {
        var total = Stopwatch.StartNew();
        foreach (var line in fixture.StartLog)
        {
            output.WriteLine(line);
        }

        var platform = fixture.Platform;
        using var client = new GatewayClient(platform.Gateway, platform.ApiKey, TimeSpan.FromMinutes(2));
        var run = Guid.NewGuid().ToString("N")[..8];
        // A model of its own: earlier runs against the same databases leave champions and rollouts of other models.
        var model = $"canary-{run}";
        var ward = WardGenerator.Generate(new WardOptions
        {
            Patients = Entities,
            Seed = 20261202,
            HistoryHours = 8,
            AssessmentSpreadHours = 6,
            EntityPrefix = $"e2e-canary-{run}-",
            LabelName = $"{WardOptions.DefaultLabelName}_canary_{run}",
            SourceSystem = $"e2e-canary-{run}",
        });
        var entities = ward.Patients.Select(p => p.EntityId).ToList();

        var journey = new JourneySteps("canary journey", Log, platform);
        Task<T> Step<T>(string name, Func<Task<T>> action, params string[] services) => journey.RunAsync(name, action, services);

        await journey.GatewayReadyAsync(client);

        await journey.HistoryOutcomesAndFeaturesAsync(client, ward);

        // Registered from the training step on: whatever happens after, the model leaves service at the end. Every
        // inference pod loads every deployed model and scores each streamed vector with all of them, so a model left
        // deployed by each run slows every later one (and new pods load it again from GET /api/registry/deployments).
        Guid? rolloutId = null;
        var retired = false;
        try
        {
            var (champion, candidate) = await Step("two versions trained from one snapshot and registered", async () =>
            {
                var featureSet = (await client.GetFeatureDefinitionsAsync(CancellationToken.None))?["version"]?.GetValue<string>();
                var dataset = (await client.CreateDatasetVersionAsync("e2e-canary", "canary journey snapshot", new DatasetScope([ward.Options.SourceSystem]), CancellationToken.None))?["version"]?.GetValue<string>();
                Assert.False(string.IsNullOrEmpty(featureSet) || string.IsNullOrEmpty(dataset), $"feature set '{featureSet}', dataset '{dataset}'");
                var runs = new List<Guid>();
                foreach (var seed in new[] { 7, 11 })
                {
                    runs.Add(await client.StartRunAsync(new JsonObject
                    {
                        ["modelName"] = model,
                        ["featureSetVersion"] = featureSet,
                        ["datasetVersion"] = dataset,
                        ["labelName"] = ward.Options.LabelName,
                        // Shallow, slow-learning members: on this little data the defaults are overconfident and fail
                        // training's log-loss gate against the constant predictor.
                        ["algorithm"] = "bagged_gbdt",
                        ["hyperparameters"] = new JsonObject { ["members"] = 3, ["rounds"] = 60, ["learning_rate"] = 0.05, ["max_depth"] = 3, ["min_samples_leaf"] = 20 },
                        ["seed"] = seed,
                        ["requestedBy"] = "e2e-canary",
                    }, CancellationToken.None));
                }

                var versions = new List<string>();
                foreach (var id in runs)
                {
                    JsonNode? view = null;
                    await Eventually.WaitUntilAsync(async () =>
                    {
                        view = await client.GetRunAsync(id, CancellationToken.None);
                        return view?["run"]?["status"]?.GetValue<string>() is "Completed" or "Failed" or "Cancelled";
                    }, $"run {id} finishes", TimeSpan.FromMinutes(4));
                    var runView = view!["run"]!;
                    Assert.True(runView["status"]!.GetValue<string>() == "Completed", $"run {id} is {runView["status"]}: {runView["failureReason"]}");
                    var version = await JourneyWaits.RegisteredVersionAsync(client, model, id, TimeSpan.FromMinutes(2), CancellationToken.None);
                    Assert.True(version is not null, $"no version of {model} from run {id} in the registry");
                    Log($"run {id}: auroc {runView["metrics"]?["auroc"]} → version {version}");
                    versions.Add(version!);
                }

                return (versions[0], versions[1]);
            }, "training", "registry");

            await Step($"version {champion} is champion and served through the gateway", async () =>
            {
                var outcome = await client.RequestPromotionAsync(model, champion, "champion", "e2e-canary", "canary journey baseline", CancellationToken.None);
                if (outcome?["status"]?.GetValue<string>() == "PendingApproval")
                {
                    await client.ApprovePromotionAsync(model, Guid.Parse(outcome["promotionId"]!.GetValue<string>()), "e2e-approver", "canary journey baseline", CancellationToken.None);
                }

                await Eventually.WaitUntilAsync(async () => await AnswerAsync(client, model, entities[0]) is { Fallback: false } a && a.Version == champion,
                    $"{model} answers with champion {champion}", TimeSpan.FromMinutes(2));
                return true;
            }, "gateway", "inference", "registry");

            using var stream = PredictionStream.Open(PlatformInfrastructure.Configuration);
            rolloutId = await Step($"rollout of {candidate} started through the gateway", async () =>
            {
                var answer = await client.SendAsync(HttpMethod.Post, "api/registry/rollouts", new JsonObject
                {
                    ["modelName"] = model,
                    ["candidateVersion"] = candidate,
                    ["steps"] = new JsonArray(CanaryPercent, 100),
                    // Short for the test; set in the request, as any operator would, never in the shipped configuration.
                    ["analysisInterval"] = "00:00:40",
                    // maxDivergence: the rollout mirrors the champion's requests to the candidate, and the registry reads the
                    // gateway's comparison with the platform's key; a loose limit, as the two versions are trained differently.
                    ["thresholds"] = new JsonObject { ["maxErrorRate"] = 0.05, ["maxP99LatencyMs"] = 5000, ["maxDivergence"] = 0.5, ["minRequests"] = 20 },
                    ["failureLimit"] = 0,
                    ["consecutiveSuccesses"] = 1,
                    ["requestedBy"] = "e2e-canary",
                }, null, CancellationToken.None);
                return Guid.Parse(answer!["rolloutId"]!.GetValue<string>());
            }, "registry");

            // Set while the split is measured, so that monitoring's SLO rounds (every 15 s) have found the model burning by the
            // time the dashboard's overview shows what is open: every request of the rollout takes longer than this. The
            // rollout's own analysis reads inference's metrics against its thresholds, not these objectives.
            await Step("a latency objective below what the model takes: its SLO burns", async () =>
            {
                var view = await client.SendAsync(HttpMethod.Put, $"api/monitoring/models/{model}/settings", new JsonObject
                {
                    ["slo"] = new JsonObject { ["latencyThresholdMs"] = 0.01 }, ["updatedBy"] = "e2e-canary",
                }, null, CancellationToken.None);
                Assert.Equal(0.01, view!["slo"]!["latencyThresholdMs"]!.GetValue<double>());
                return true;
            }, "monitoring");

            var split = await Step($"the gateway splits entities {CanaryPercent} % to the candidate, sticky per entity", async () =>
            {
                // The candidate first becomes challenger at the policy's share, then the rollout sets 50 %; the split reaches
                // the gateway and inference as DeploymentChanged. An entity in buckets 2,500–4,999 (challenger only at 50 %:
                // the challenger takes the lowest buckets) answering from the challenger shows the step has arrived.
                var probe = entities.First(e => VariantAssignment.Bucket(model, e) is >= 2500 and < 5000);
                await Eventually.WaitUntilAsync(async () => await AnswerAsync(client, model, probe) is { Variant: "challenger" },
                    $"entity {probe} (bucket {VariantAssignment.Bucket(model, probe)}) is answered by the challenger {candidate}", TimeSpan.FromMinutes(1));

                var first = await AnswerAllAsync(client, model, entities);
                var again = await AnswerAllAsync(client, model, entities.Take(100).ToList());
                // Live vitals for a sample of entities, sent once the split has been seen at work (inference applies the
                // deployment on its own; before that its stream may still score by the previous split).
                var live = new Dictionary<string, string>();
                foreach (var entity in entities.Take(40))
                {
                    var patient = ward.Patients.First(p => p.EntityId == entity);
                    var observation = ObservationCsv.ToJson(WardGenerator.LiveVitals(ward.Options, patient, DateTimeOffset.UtcNow, 0.5).First(o => o.Code == "heart_rate"));
                    live[entity] = observation["observationId"]!.GetValue<string>();
                    await client.IngestAsync(observation, null, CancellationToken.None);
                }

                var rollout = await client.SendAsync(HttpMethod.Get, $"api/registry/rollouts/{rolloutId}", null, null, CancellationToken.None);
                Assert.True(rollout?["currentStep"]?.GetValue<int>() == 0,
                    $"the rollout left the {CanaryPercent} % step while the split was sampled (state {rollout?["state"]}, step {rollout?["currentStep"]}): the sample mixes two splits");

                var byVariant = first.Values.GroupBy(a => a.Variant).ToDictionary(g => g.Key ?? "(none)", g => g.ToList());
                Log($"split over {first.Count} entities: {string.Join(", ", byVariant.Select(v => $"{v.Key} {v.Value.Count} (versions {string.Join("/", v.Value.Select(a => a.Version).Distinct())})"))}");
                Assert.True(byVariant.Keys.All(k => k is "champion" or "challenger"), $"unexpected variants: {string.Join(", ", byVariant.Keys)}");
                Assert.All(first.Values, a => Assert.Equal(a.Variant == "challenger" ? candidate : champion, a.Version));
                Assert.All(first.Values, a => Assert.False(a.Fallback, "a fallback answered during the canary"));
                var share = 100.0 * first.Values.Count(a => a.Variant == "challenger") / first.Count;
                Assert.InRange(share, CanaryPercent - 10, CanaryPercent + 10);
                // The gateway's rule is the shared one: the lowest 5,000 of 10,000 buckets go to the challenger.
                var misrouted = first.Where(a => a.Value.Variant != (VariantAssignment.Bucket(model, a.Key) < CanaryPercent * 100 ? "challenger" : "champion")).ToList();
                Assert.True(misrouted.Count == 0, $"{misrouted.Count} entities not on the variant their bucket gives, e.g. {misrouted.FirstOrDefault()}");
                var moved = again.Where(a => first[a.Key].Variant != a.Value.Variant).Select(a => a.Key).ToList();
                Assert.True(moved.Count == 0, $"{moved.Count} entities changed variant between two requests, e.g. {moved.FirstOrDefault()}");

                // Each live observation is scored once per model, by the variant its entity is assigned to.
                var streamed = new Dictionary<string, PredictionEvent>();
                var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
                // Enough to judge, and soon: the rollout's next analysis needs the HTTP traffic of the next step.
                while (DateTime.UtcNow < deadline && streamed.Count < 10 && !(streamed.Values.Any(p => p.Variant == "challenger") && streamed.Values.Any(p => p.Variant == "champion")))
                {
                    if (stream.Next(TimeSpan.FromSeconds(2)) is { Streamed: true } p && p.ModelName == model && live.TryGetValue(p.EntityId, out var observationId)
                        && (p.TriggeringObservationId is null || p.TriggeringObservationId == observationId))
                    {
                        streamed[p.EntityId] = p;
                    }
                }

                Log($"predictions.v1 for {model}: {string.Join(", ", streamed.Values.GroupBy(p => p.Variant).Select(g => $"{g.Key} {g.Count()}"))}");
                // Under load the stream (ingestion → features → inference) may take longer than the 40 s step, so a live
                // vector can be scored after the 100 % step: an entity in the challenger's buckets is always challenger,
                // the rest champion at 50 % or challenger at 100 %.
                Assert.True(streamed.Count > 0, "no prediction of the live vitals on predictions.v1 within a minute");
                Assert.All(streamed.Values, p => Assert.True(
                    VariantAssignment.Bucket(model, p.EntityId) < CanaryPercent * 100
                        ? p.Variant == "challenger" && p.ModelVersion == candidate
                        : (p.Variant == "champion" && p.ModelVersion == champion) || (p.Variant == "challenger" && p.ModelVersion == candidate),
                    $"{p.EntityId} (bucket {VariantAssignment.Bucket(model, p.EntityId)}) streamed by {p.Variant} {p.ModelVersion}"));
                return share;
            }, "gateway", "inference", "registry", "features");

            var finished = await Step("the rollout advances to 100 % and promotes the candidate", async () =>
            {
                JsonNode? rollout = null;
                var next = 0;
                await JourneyModels.WithLastState(() => rollout?.ToJsonString(), () => Eventually.WaitUntilAsync(async () =>
                {
                    // Traffic keeps flowing so every analysis has the candidate's requests to measure.
                    var batch = Enumerable.Range(0, 40).Select(i => entities[(next + i) % entities.Count]).ToList();
                    next += batch.Count;
                    await AnswerAllAsync(client, model, batch);
                    rollout = await client.SendAsync(HttpMethod.Get, $"api/registry/rollouts/{rolloutId}", null, null, CancellationToken.None);
                    return rollout?["state"]?.GetValue<string>() is "Promoted" or "RolledBack" or "Aborted" or "Paused" or "AwaitingPromotionApproval";
                }, $"rollout {rolloutId} finishes", TimeSpan.FromMinutes(3)));
                Assert.True(rollout!["state"]!.GetValue<string>() == "Promoted", $"the rollout ended {rollout["state"]}: {rollout["reason"]}\n{rollout.ToJsonString()}");
                return rollout;
            }, "registry", "inference", "gateway");

            var steps = finished["stepHistory"]!.AsArray();
            Log($"rollout {rolloutId}: {finished.ToJsonString()}");
            Assert.Equal([CanaryPercent, 100], steps.Select(s => s!["trafficPercent"]!.GetValue<int>()));
            foreach (var step in steps)
            {
                var analyses = step!["analyses"]!.AsArray();
                Assert.NotEmpty(analyses);
                var last = analyses[^1]!;
                Assert.Equal("passed", last["verdict"]!.GetValue<string>());
                var measured = last["measurements"]!.AsArray().ToDictionary(m => m!["metric"]!.GetValue<string>(), m => m!);
                Assert.Equal(["divergence", "error-rate", "p99-latency-ms"], measured.Keys.Order());
                Assert.All(measured.Values, m => Assert.True(m["value"] is not null && m["verdict"]!.GetValue<string>() == "passed", $"measurement {m.ToJsonString()}"));
            }

            await Step($"after the promotion every entity gets the new champion {candidate}", async () =>
            {
                await Eventually.WaitUntilAsync(async () => (await AnswerAllAsync(client, model, entities.Take(50).ToList())).Values.All(a => a.Variant == "champion" && a.Version == candidate),
                    $"the first 50 entities answered by champion {candidate}", TimeSpan.FromMinutes(1));
                var all = await AnswerAllAsync(client, model, entities);
                var other = all.Where(a => a.Value.Variant != "champion" || a.Value.Version != candidate).ToList();
                Assert.True(other.Count == 0, $"{other.Count} entities not on champion {candidate}, e.g. {other.FirstOrDefault()}");
                var state = await client.GetModelAsync(model, CancellationToken.None);
                Assert.Equal(candidate, state?["aliases"]?["champion"]?.GetValue<string>());
                return true;
            }, "gateway", "inference", "registry");

            await Step($"the old version {champion} mirrored as shadow: the gateway compares pairs", async () =>
            {
                var outcome = await client.RequestPromotionAsync(model, champion, "shadow", "e2e-canary", "compare the old version", CancellationToken.None);
                if (outcome?["status"]?.GetValue<string>() == "PendingApproval")
                {
                    await client.ApprovePromotionAsync(model, Guid.Parse(outcome["promotionId"]!.GetValue<string>()), "e2e-approver", "compare the old version", CancellationToken.None);
                }

                await client.SendAsync(HttpMethod.Put, $"api/registry/models/{model}/traffic", new JsonObject
                {
                    ["challengerPercent"] = 0, ["shadowPercent"] = 100, ["requestedBy"] = "e2e-canary", ["reason"] = "mirror every request to the shadow",
                }, null, CancellationToken.None);
                JsonNode? report = null;
                await JourneyModels.WithLastState(() => report?.ToJsonString(), () => Eventually.WaitUntilAsync(async () =>
                {
                    await AnswerAllAsync(client, model, entities.Take(20).ToList());
                    try
                    {
                        report = await client.SendAsync(HttpMethod.Get, $"api/gateway/shadow/{model}", null, null, CancellationToken.None);
                    }
                    catch (ApiProblem problem) when (problem.Status == HttpStatusCode.NotFound)
                    {
                        return false;
                    }

                    return report?["pairs"]?.AsArray().Any(p => p?["shadowVersion"]?.GetValue<string>() == champion && p["primaryVersion"]?.GetValue<string>() == candidate
                        && p["predictions"]?.GetValue<long>() >= 10) == true;
                }, $"GET /api/gateway/shadow/{model} reports pairs of {candidate} and shadow {champion}", TimeSpan.FromMinutes(1)));
                Log($"shadow report: {report!.ToJsonString()}");
                return true;
            }, "gateway", "inference", "registry");

            await Step("the operations dashboard in a browser: every page with this journey's data and the APIs' figures, a viewer refused, approve, abort and promote now, a search's trials", async () =>
            {
                await DashboardJourney.RunAsync(platform.Gateway, client, new DashboardJourney.Data(model, champion, candidate, rolloutId!.Value), Log);
                return true;
            }, "gateway", "registry");

            await Step($"{model} retired: no longer deployed, nor served through the gateway", async () =>
            {
                await JourneyModels.RetireAsync(client, model, rolloutId, "e2e-canary", "the canary journey is over");
                retired = true;
                var deployments = await client.SendAsync(HttpMethod.Get, "api/registry/deployments", null, null, CancellationToken.None);
                Assert.True(deployments!.AsArray().All(d => d?["modelName"]?.GetValue<string>() != model), $"GET /api/registry/deployments still lists {model}: {deployments.ToJsonString()}");
                HttpStatusCode? status = null;
                await JourneyModels.WithLastState(() => status?.ToString(), () => Eventually.WaitUntilAsync(async () => (status = await PredictStatusAsync(client, model, entities[0])) == HttpStatusCode.NotFound,
                    $"inference no longer serves {model} (404 through the gateway)", TimeSpan.FromMinutes(1)));
                return true;
            }, "registry", "inference", "gateway");

            Log($"canary journey complete in {total.Elapsed.TotalSeconds:0} s; canary share {split.ToString("0.0", CultureInfo.InvariantCulture)} %");
        }
        finally
        {
            if (!retired)
            {
                try
                {
                    await JourneyModels.RetireAsync(client, model, rolloutId, "e2e-canary", "the canary journey is over");
                    Log($"{model} retired after the failure");
                }
                catch (Exception ex)
                {
                    // The journey's own failure is the one to report; this one is for whoever reads the output.
                    Log($"{model} could not be retired after the failure: {ex.Message}");
                }
            }
        }
    }

    sealed record Answer(string? Variant, string? Version, bool Fallback);

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

    /// <summary>Predictions for every entity, a few at a time; an entity that cannot be scored fails the step.</summary>
    static async Task<Dictionary<string, Answer>> AnswerAllAsync(GatewayClient client, string model, IReadOnlyList<string> entities)
    {
        var answers = new ConcurrentDictionary<string, Answer>();
        await Parallel.ForEachAsync(entities, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (entity, _) =>
        {
            var body = await client.PredictAsync(model, entity, CancellationToken.None);
            answers[entity] = new Answer(body?["variant"]?.GetValue<string>(), body?["modelVersion"]?.GetValue<string>(), body?["fallback"]?.GetValue<bool>() ?? false);
        });
        return new Dictionary<string, Answer>(answers);
    }

    /// <summary>The status of one prediction through the gateway.</summary>
    static async Task<HttpStatusCode> PredictStatusAsync(GatewayClient client, string model, string entity)
    {
        try
        {
            await client.PredictAsync(model, entity, CancellationToken.None);
            return HttpStatusCode.OK;
        }
        catch (ApiProblem problem)
        {
            return problem.Status;
        }
    }

    void Log(string line) => output.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");
}
