using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Mlops.Cli.Core.Csv;
using Mlops.Cli.Core.Gateway;
using Mlops.Cli.Core.Streaming;
using Mlops.Cli.Core.Ward;
using Mlops.EndToEnd.Tests.Platform;
using Mlops.EndToEnd.Tests.Telemetry;
using Mlops.Testing;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Mlops.EndToEnd.Tests;

/// <summary>
/// A new user's whole journey on the shipped configuration, through the gateway only: history with available times
/// → outcomes → a training run → the model registered → promoted to champion → served by name with uncertainty →
/// a new observation's prediction on <c>predictions.v1</c> in the same trace as the ingestion request, as the
/// exported spans show. Every wait polls an outcome with a generous deadline; a failure names the journey step and
/// shows the services' log tails.
/// </summary>
[Collection(JourneyCollection.Name)]
public sealed class UserJourneyTests(PlatformFixture fixture, ITestOutputHelper output)
{
    /// <summary>The scenario's model name, as inference ships it (<c>Inference:DefaultModel</c>).</summary>
    const string ModelName = "deterioration";

    [Fact]
    public async Task NewUser_FromHistoryToLivePrediction_ThroughTheGateway()
    {
        var total = Stopwatch.StartNew();
        var (receiver, platform) = Started();
        using var client = new GatewayClient(platform.Gateway, platform.ApiKey, TimeSpan.FromMinutes(2));
        var run = Guid.NewGuid().ToString("N")[..8];

        // A few hundred patients, small enough for CI; their own ids and label name, so earlier runs on the same
        // databases neither collide with nor enlarge this run's training set.
        var ward = WardGenerator.Generate(new WardOptions
        {
            Patients = 300,
            Seed = 20261202,
            HistoryHours = 8,
            AssessmentSpreadHours = 6,
            EntityPrefix = $"e2e-{run}-",
            LabelName = $"{WardOptions.DefaultLabelName}_e2e_{run}",
            SourceSystem = $"e2e-{run}",
        });
        Log($"ward: {ward.Patients.Count} patients, {ward.Observations.Count} observations, {ward.Outcomes.Count(o => o.Value == 1)} positives");

        var journey = new JourneySteps("journey", Log, platform, () => $"{receiver.Statistics}");
        Task<T> Step<T>(string name, Func<Task<T>> action, params string[] services) => journey.RunAsync(name, action, services);

        await journey.GatewayReadyAsync(client);

        await Step("the gateway refuses a request without the key (401 ProblemDetails)", async () =>
        {
            using var anonymous = new GatewayClient(platform.Gateway);
            var refused = await Assert.ThrowsAsync<ApiProblem>(() => anonymous.ListModelsAsync(CancellationToken.None));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
            Assert.Equal("API key required", refused.Problem?["title"]?.GetValue<string>());
            return true;
        }, "gateway");

        await Step("ingest history with availableTime (batches through the gateway)", async () =>
        {
            var outcome = await Uploads.ObservationsAsync(client, ward.Observations.Select((o, i) => ($"#{i}", ObservationCsv.ToJson(o))).ToList(), 2000, null, CancellationToken.None);
            Assert.True(outcome.Refused.Count == 0, $"{outcome.Refused.Count} refused, e.g. {string.Join(" | ", outcome.Refused.Take(3).Select(r => $"{r.Where}: {r.Reason}"))}");
            Assert.Equal(ward.Observations.Count, outcome.Accepted + outcome.Duplicates);
            return outcome;
        }, "gateway", "ingestion");

        await Step("record outcomes (labels API)", async () =>
        {
            var (recorded, duplicates, refused) = await Uploads.OutcomesAsync(client, ward.Outcomes.Select(o => (o.EntityId, OutcomeCsv.ToJson(o))).ToList(), null, CancellationToken.None);
            Assert.True(refused.Count == 0, $"{refused.Count} refused, e.g. {refused.FirstOrDefault()?.Reason}");
            Assert.Equal(ward.Outcomes.Count, recorded + duplicates);
            return true;
        }, "gateway", "features");

        await Step("features computed from the history", async () =>
        {
            var caught = await JourneyWaits.FeaturesCaughtUpAsync(client, ward, 15, TimeSpan.FromMinutes(3), CancellationToken.None);
            Assert.True(caught == 15, $"only {caught} of 15 sampled patients have online features up to their last vitals");
            return caught;
        }, "ingestion", "features");

        var (runId, datasetVersion) = await Step("training run (bagged ensemble) completes", async () =>
        {
            var featureSet = (await client.GetFeatureDefinitionsAsync(CancellationToken.None))?["version"]?.GetValue<string>();
            Assert.False(string.IsNullOrEmpty(featureSet), "GET /api/features/definitions has no version");
            var dataset = (await client.CreateDatasetVersionAsync("e2e", "journey test snapshot", new DatasetScope([ward.Options.SourceSystem]), CancellationToken.None))?["version"]?.GetValue<string>();
            Assert.False(string.IsNullOrEmpty(dataset), "POST /api/ingestion/datasets returned no version");
            var id = await client.StartRunAsync(new JsonObject
            {
                ["modelName"] = ModelName,
                ["featureSetVersion"] = featureSet,
                ["datasetVersion"] = dataset,
                ["labelName"] = ward.Options.LabelName,
                ["algorithm"] = "bagged_gbdt",
                ["hyperparameters"] = new JsonObject { ["members"] = 3 },
                ["seed"] = 7,
                ["requestedBy"] = "e2e",
            }, CancellationToken.None);
            JsonNode? view = null;
            await Eventually.WaitUntilAsync(async () =>
            {
                view = await client.GetRunAsync(id, CancellationToken.None);
                return view?["run"]?["status"]?.GetValue<string>() is "Completed" or "Failed" or "Cancelled";
            }, $"run {id} finishes", TimeSpan.FromMinutes(4));
            var runView = view!["run"]!;
            Assert.True(runView["status"]!.GetValue<string>() == "Completed",
                $"run {id} is {runView["status"]} at step {runView["failedStep"]}: {runView["failureReason"]}");
            Log($"run {id}: auroc {runView["metrics"]?["auroc"]}, rows {runView["metrics"]?["rows"]}");
            return (id, dataset!);
        }, "training", "features", "ingestion");

        var version = await Step("model version registered (GET registry)", async () =>
        {
            var registered = await JourneyWaits.RegisteredVersionAsync(client, ModelName, runId, TimeSpan.FromMinutes(2), CancellationToken.None);
            Assert.True(registered is not null, $"no version of {ModelName} from run {runId} in the registry");
            return registered!;
        }, "training", "registry");

        await Step("mlops datasets show: the snapshot's scope and the model version trained from it", async () =>
        {
            var (exit, output, error) = await MlopsCli.RunAsync(platform.Gateway, TimeSpan.FromMinutes(1), "datasets", "show", datasetVersion, "--json");
            Assert.True(exit == 0, $"exit {exit}: {output}\n{error}");
            var shown = JsonNode.Parse(output)!;
            Assert.Equal(datasetVersion, shown["datasetVersion"]?["version"]?.GetValue<string>());
            Assert.Equal([ward.Options.SourceSystem], shown["datasetVersion"]?["sources"]?.AsArray().Select(s => s!.GetValue<string>()));
            var trained = Assert.Single(shown["models"]!.AsArray(), m => m?["modelName"]?.GetValue<string>() == ModelName)!;
            Assert.Equal(runId.ToString(), trained["trainingRunId"]?.GetValue<string>());

            // The tables a person reads: the same command without --json.
            var (tableExit, tables, tableError) = await MlopsCli.RunAsync(platform.Gateway, TimeSpan.FromMinutes(1), "datasets", "show", datasetVersion);
            Assert.True(tableExit == 0, $"exit {tableExit}: {tables}\n{tableError}");
            Assert.Contains(datasetVersion, tables);
            return exit;
        }, "ingestion", "registry");

        await Step("promoted to champion", async () =>
        {
            var outcome = await client.RequestPromotionAsync(ModelName, version, "champion", "e2e", "journey test", CancellationToken.None);
            if (outcome?["status"]?.GetValue<string>() == "PendingApproval")
            {
                await client.ApprovePromotionAsync(ModelName, Guid.Parse(outcome["promotionId"]!.GetValue<string>()), "e2e-approver", "journey test approval", CancellationToken.None);
            }

            var state = await client.GetModelAsync(ModelName, CancellationToken.None);
            Assert.Equal(version, state?["aliases"]?["champion"]?.GetValue<string>());
            return true;
        }, "registry");

        var probe = ward.Patients.OrderByDescending(p => p.LatentRisk).First().EntityId;
        await Step("served by name through the gateway", async () =>
        {
            JsonNode? answer = null;
            await WithLastState(() => answer?.ToJsonString(), () => Eventually.WaitUntilAsync(async () =>
            {
                try
                {
                    answer = await client.PredictAsync(ModelName, probe, CancellationToken.None);
                    // The champion may take a moment to load after the promotion; until then the fallback answers.
                    return answer?["fallback"]?.GetValue<bool>() == false && answer["modelVersion"]?.GetValue<string>() == version;
                }
                // 422: a champion of an earlier run against the same databases may still be loaded and refuse rows it
                // cannot score; the new champion replaces it within moments of the promotion.
                catch (ApiProblem problem) when (problem.Status is HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable or HttpStatusCode.UnprocessableEntity)
                {
                    answer = JsonNode.Parse($"{{\"lastError\":{System.Text.Json.JsonSerializer.Serialize(problem.Message)}}}");
                    return false;
                }
            }, $"POST /api/inference/models/{ModelName}/entities/{probe}/predict answers with the champion {version}", TimeSpan.FromMinutes(2)));
            Assert.Equal(ModelName, answer!["modelName"]?.GetValue<string>());
            Assert.True(answer["uncertainty"]?.GetValue<double>() > 0, $"uncertainty is {answer["uncertainty"]}");
            Assert.False(string.IsNullOrEmpty(answer["predictionId"]?.GetValue<string>()), "the answer has no predictionId");
            Log($"prediction for {probe}: {answer.ToJsonString()}");
            return answer;
        }, "gateway", "inference", "registry");

        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var prediction = await Step("a new observation is scored on predictions.v1 in the ingestion request's trace", async () =>
        {
            using var stream = PredictionStream.Open(PlatformInfrastructure.Configuration);
            var patient = ward.Patients.First(p => p.EntityId == probe);
            var observation = ObservationCsv.ToJson(WardGenerator.LiveVitals(ward.Options, patient, DateTimeOffset.UtcNow, 0.5).First(o => o.Code == "heart_rate"));
            var observationId = observation["observationId"]!.GetValue<string>();
            await client.IngestAsync(observation, $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01", CancellationToken.None);
            PredictionEvent? found = null;
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (found is null && DateTime.UtcNow < deadline)
            {
                // Every served model of the platform scores the patient's new vectors; this journey is about its own.
                if (stream.Next(TimeSpan.FromSeconds(5)) is { Streamed: true } p && p.EntityId == probe && p.ModelName == ModelName
                    && (p.TriggeringObservationId is null || p.TriggeringObservationId == observationId))
                {
                    found = p;
                }
            }

            Assert.True(found is not null, $"no prediction for {probe} (observation {observationId}) on predictions.v1 within 2 minutes");
            Assert.Equal(traceId, found!.TraceId);
            Assert.False(found.Fallback, "the streamed prediction came from the fallback rule, not the champion");
            Assert.Equal(version, found.ModelVersion);
            Assert.False(string.IsNullOrEmpty(found.PredictionId), "predictions.v1 record has no predictionId");
            return found;
        }, "ingestion", "features", "inference");

        await Step("exported spans of ingestion and inference share the trace id", async () =>
        {
            await WithLastState(() => $"spans of the trace: {string.Join(", ", receiver.Trace(traceId).Select(s => $"{s.ServiceName}:{s.Name}"))}; {receiver.Statistics}",
                () => Eventually.WaitUntilAsync(() =>
                {
                    var services = receiver.Trace(traceId).Select(s => s.ServiceName).ToHashSet();
                    return services.Contains("ingestion") && services.Contains("inference");
                }, $"spans of trace {traceId} arrive from ingestion and inference", TimeSpan.FromMinutes(1)));
            return true;
        }, "ingestion", "inference");

        Log($"journey complete in {total.Elapsed.TotalSeconds:0} s; prediction {prediction.PredictionId}: {prediction.Probability:0.000} ± {prediction.Uncertainty:0.000}; " +
            $"trace {traceId}: {string.Join(", ", receiver.Trace(traceId).Select(s => $"{s.ServiceName}:{s.Name}"))}");
    }

    /// <summary>
    /// The tracing part of the journey on its own, whatever model answers (the champion, or the fallback rule before
    /// there is one): an observation sent with a W3C traceparent is scored on predictions.v1 in that trace, and both
    /// ingestion and inference export spans of it.
    /// </summary>
    [Fact]
    public async Task NewObservation_WithTraceparent_IsScoredOnPredictionsInTheSameTrace()
    {
        var (receiver, platform) = Started();
        using var client = new GatewayClient(platform.Gateway, platform.ApiKey, TimeSpan.FromMinutes(2));
        await Eventually.WaitUntilAsync(() => client.IsReadyAsync(CancellationToken.None), "the gateway reports ready");
        // A patient with a little history: the streaming path scores entities whose features it can compute.
        var ward = WardGenerator.Generate(new WardOptions { Patients = 1, HistoryHours = 2, AssessmentSpreadHours = 0, EntityPrefix = $"e2e-trace-{Guid.NewGuid():N}"[..22] + "-" });
        var patient = ward.Patients[0];
        var history = await Uploads.ObservationsAsync(client, ward.Observations.Select((o, i) => ($"#{i}", ObservationCsv.ToJson(o))).ToList(), 2000, null, CancellationToken.None);
        Assert.True(history.Refused.Count == 0, $"history refused: {string.Join(" | ", history.Refused.Select(r => r.Reason))}");
        Assert.Equal(1, await JourneyWaits.FeaturesCaughtUpAsync(client, ward, 1, TimeSpan.FromMinutes(2), CancellationToken.None));
        var observation = ObservationCsv.ToJson(WardGenerator.LiveVitals(ward.Options, patient, DateTimeOffset.UtcNow, 0).First(o => o.Code == "heart_rate"));
        var observationId = observation["observationId"]!.GetValue<string>();
        var traceId = ActivityTraceId.CreateRandom().ToHexString();

        using var stream = PredictionStream.Open(PlatformInfrastructure.Configuration);
        try
        {
            await client.IngestAsync(observation, $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01", CancellationToken.None);
            PredictionEvent? found = null;
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (found is null && DateTime.UtcNow < deadline)
            {
                found = stream.Next(TimeSpan.FromSeconds(5)) is { Streamed: true } p && p.EntityId == patient.EntityId
                    && (p.TriggeringObservationId is null || p.TriggeringObservationId == observationId) ? p : null;
            }

            Assert.True(found is not null, $"no prediction for {patient.EntityId} (observation {observationId}) on predictions.v1 within 2 minutes");
            Log($"prediction: {found}");
            Assert.Equal(traceId, found!.TraceId);
            await WithLastState(() => $"spans of the trace: {string.Join(", ", receiver.Trace(traceId).Select(s => $"{s.ServiceName}:{s.Name}"))}; {receiver.Statistics}",
                () => Eventually.WaitUntilAsync(() =>
                {
                    var services = receiver.Trace(traceId).Select(s => s.ServiceName).ToHashSet();
                    return services.Contains("ingestion") && services.Contains("inference");
                }, $"spans of trace {traceId} arrive from ingestion and inference", TimeSpan.FromMinutes(1)));
            Log($"trace {traceId}: {string.Join(", ", receiver.Trace(traceId).Select(s => $"{s.ServiceName}:{s.Name}"))}");
        }
        catch (Exception ex)
        {
            throw new XunitException($"tracing an observation to its prediction failed: {ex.Message}\n{platform.LogTails(40, "ingestion", "features", "inference")}");
        }
    }

    (OtlpReceiver Receiver, PlatformUnderTest Platform) Started()
    {
        foreach (var line in fixture.StartLog)
        {
            output.WriteLine(line);
        }

        return (fixture.Receiver, fixture.Platform);
    }

    /// <summary>Adds what was last seen to a timeout, so the failure says how far the platform got.</summary>
    static async Task WithLastState(Func<string?> state, Func<Task> wait)
    {
        try
        {
            await wait();
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} Last seen: {state() ?? "nothing"}", ex);
        }
    }

    void Log(string line) => output.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");
}
