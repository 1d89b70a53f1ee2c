using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Training;
using Mlops.Testing;
using Mlops.Training.Pipeline;
using Mlops.Training.Tracking;

namespace Mlops.Training.Tests.Data;

/// <summary>
/// A run's rows come from the ingestion dataset version it names, so (dataset version, feature-set version, code
/// version, seed) reproduce it: the same request after more observations and labels arrived gives the byte-identical
/// ONNX artifact, while the live store it no longer reads has moved on.
/// </summary>
public sealed class DatasetTrainingTests(DatasetTrainingFixture app) : IClassFixture<DatasetTrainingFixture>
{
    const int Patients = 240;
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Run_SameDatasetVersionAfterMoreDataArrived_ByteIdenticalModelFromTheSameRows()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var labelName = $"deteriorated-{run}";
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-4).ToUnixTimeSeconds());
        using var ingestion = new HttpClient { BaseAddress = app.Ingestion.BaseAddress };
        using var features = new HttpClient { BaseAddress = app.Features.BaseAddress };
        using var training = app.CreateClient();

        var ward = Ward(run, start, Patients, seed: 17);
        await IngestAsync(ingestion, ward.SelectMany(p => p.Observations).ToList());
        foreach (var patient in ward)
        {
            await RecordLabelAsync(features, $"l-{patient.Entity}", patient.Entity, labelName, patient.Label, patient.LabelTime);
        }

        var dataset = await CreateDatasetAsync(ingestion);
        var featureSet = (await features.GetFromJsonAsync<JsonElement>("api/features/definitions", Json)).GetProperty("version").GetString()!;
        var request = new
        {
            modelName = $"reproducible-{run}", featureSetVersion = featureSet, datasetVersion = dataset, labelName, algorithm = "gbdt",
            hyperparameters = new Dictionary<string, double> { ["rounds"] = 40, ["row_subsample"] = 0.8, ["column_subsample"] = 0.8 },
            seed = 7, requestedBy = "tests",
        };
        var first = await RunToEndAsync(training, request);

        // More data arrives in ingestion and, over Kafka, in the features service's live store: history loaded late
        // for the same patients (known before their label times, so it changes their live rows), new patients, and
        // further labels — for the same label name.
        var more = Ward($"{run}-more", start, 60, seed: 18);
        var late = ward.Select(p => Observation($"late-{p.Entity}", p.Entity, "heart_rate", 150, "/min", p.LabelTime.AddHours(-2), p.LabelTime.AddMinutes(-90))).ToList();
        await IngestAsync(ingestion, late.Concat(more.SelectMany(p => p.Observations)).ToList());
        foreach (var patient in more)
        {
            await RecordLabelAsync(features, $"l-{patient.Entity}", patient.Entity, labelName, patient.Label, patient.LabelTime);
        }

        foreach (var patient in ward.Take(40))
        {
            await RecordLabelAsync(features, $"l2-{patient.Entity}", patient.Entity, labelName, 1 - patient.Label, patient.LabelTime.AddMinutes(30));
        }

        // The live store has it all: every new label is a row, and the late heart rates are in the patients' rows.
        await Eventually.WaitUntilAsync(async () =>
        {
            var live = await TrainingSetAsync(features, new { labelName, featureSetVersion = featureSet });
            return live.Count == Patients + 60 + 40
                && live.Where(r => r.LabelId.StartsWith("l-", StringComparison.Ordinal) && ward.Any(p => p.Entity == r.EntityId))
                    .All(r => r.Features["heart_rate_max_24h"] == 150);
        }, "the features service's live store holding the new observations and labels", TimeSpan.FromMinutes(3));

        var second = await RunToEndAsync(training, request);

        Assert.Equal(first.TrainingSetSha256, second.TrainingSetSha256);
        var a = await training.GetByteArrayAsync($"/api/training/runs/{first.RunId}/artifacts/model");
        var b = await training.GetByteArrayAsync($"/api/training/runs/{second.RunId}/artifacts/model");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(a)), Convert.ToHexStringLower(SHA256.HashData(b)));
        Assert.Equal(first.Artifacts.Single(x => x.Name == "model.onnx").Sha256, second.Artifacts.Single(x => x.Name == "model.onnx").Sha256);
        Assert.Equal(first.Metrics["auroc"], second.Metrics["auroc"]);
        Assert.Equal(Patients, second.Metrics["rows"]);

        // What the rows were built from is on record, and it was not the live store.
        var validation = await DataValidationAsync(second.RunId);
        Assert.Equal("dataset", validation.Source!.Source);
        Assert.Equal(dataset, validation.Source.DatasetVersion);
        Assert.Equal(ward.Sum(p => p.Observations.Count), validation.Source.DatasetObservations);
        Assert.NotNull(validation.Source.LabelsRecordedBy);

        // The test could fail: a snapshot taken now holds the new data, and so does the live store — either would
        // have given other rows.
        var newer = await CreateDatasetAsync(ingestion);
        var newerRows = await TrainingSetAsync(features, new { labelName, featureSetVersion = featureSet, datasetVersion = newer });
        Assert.Equal(Patients + 60 + 40, newerRows.Count);
        var pinned = await TrainingSetAsync(features, new { labelName, featureSetVersion = featureSet, datasetVersion = dataset });
        Assert.Equal(Patients, pinned.Count);
        Assert.All(pinned, r => Assert.NotEqual(150, r.Features["heart_rate_max_24h"]));
    }

    [Fact]
    public async Task Run_DatasetVersionIngestionDoesNotHave_FailsAtValidateDataNamingIt()
    {
        using var features = new HttpClient { BaseAddress = app.Features.BaseAddress };
        using var training = app.CreateClient();
        var featureSet = (await features.GetFromJsonAsync<JsonElement>("api/features/definitions", Json)).GetProperty("version").GetString()!;
        var missing = "sha256:" + new string('0', 64);

        var started = await training.PostAsJsonAsync("/api/training/runs", new
        {
            modelName = "reproducible-missing", featureSetVersion = featureSet, datasetVersion = missing, labelName = "deteriorated-missing",
            algorithm = "gbdt", seed = 1, requestedBy = "tests",
        });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var runId = (await started.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("runId").GetGuid();
        var ended = await WaitForEndAsync(training, runId);

        Assert.Equal(RunStatus.Failed, ended.Status);
        Assert.Equal(TrainingSteps.ValidateData, ended.FailedStep);
        Assert.Contains($"no dataset version '{missing}' in ingestion", ended.FailureReason, StringComparison.Ordinal);
        // The features service says so with a 404 ProblemDetails, never a 5xx.
        var asked = await features.PostAsJsonAsync("api/features/training-sets", new { labelName = "deteriorated-missing", datasetVersion = missing });
        Assert.Equal(HttpStatusCode.NotFound, asked.StatusCode);
        Assert.Equal("application/problem+json", asked.Content.Headers.ContentType?.MediaType);
    }

    sealed record Patient(string Entity, DateTimeOffset LabelTime, int Label, List<object> Observations);

    /// <summary>
    /// Patients whose outcome follows their lactate (drawn two hours before the label, resulted an hour later), with
    /// unremarkable vitals: a model beats the NEWS2 rule on them, as the quality gate asks.
    /// </summary>
    static List<Patient> Ward(string run, DateTimeOffset start, int patients, int seed)
    {
        var random = new Random(seed);
        var ward = new List<Patient>();
        for (var i = 0; i < patients; i++)
        {
            var entity = $"ds-{run}-{i:D3}";
            var labelTime = start.AddMinutes(10 * i);
            var lactate = Math.Round(0.6 + random.NextDouble() * 4.4, 2);
            var label = random.NextDouble() < 1 / (1 + Math.Exp(-3 * (lactate - 2.6))) ? 1 : 0;
            var observations = new List<object>
            {
                Observation($"lac-{entity}", entity, "lactate", lactate, "mmol/L", labelTime.AddHours(-3), labelTime.AddHours(-2)),
            };
            foreach (var hours in new[] { 4, 1 })
            {
                var at = labelTime.AddHours(-hours);
                observations.Add(Observation($"hr-{hours}-{entity}", entity, "heart_rate", 60 + random.Next(50), "/min", at, null));
                observations.Add(Observation($"rr-{hours}-{entity}", entity, "respiratory_rate", 12 + random.Next(10), "/min", at, null));
                observations.Add(Observation($"spo2-{hours}-{entity}", entity, "spo2", 93 + random.Next(7), "%", at, null));
                observations.Add(Observation($"temp-{hours}-{entity}", entity, "temperature", Math.Round(36.4 + random.NextDouble() * 1.4, 1), "Cel", at, null));
                observations.Add(Observation($"sbp-{hours}-{entity}", entity, "systolic_bp", 100 + random.Next(40), "mm[Hg]", at, null));
            }

            ward.Add(new Patient(entity, labelTime, label, observations));
        }

        return ward;
    }

    static object Observation(string id, string entity, string code, double value, string unit, DateTimeOffset eventTime, DateTimeOffset? availableTime) =>
        availableTime is null
            ? new { observationId = id, entityId = entity, code, value, unit, eventTime, sourceSystem = "ward" }
            : new { observationId = id, entityId = entity, code, value, unit, eventTime, availableTime, sourceSystem = "lab" };

    static async Task IngestAsync(HttpClient ingestion, List<object> observations)
    {
        var response = await ingestion.PostAsJsonAsync("api/ingestion/observations/batch", observations);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("accepted").GetInt32() == observations.Count, body[..Math.Min(body.Length, 2000)]);
    }

    static async Task RecordLabelAsync(HttpClient features, string labelId, string entity, string name, int value, DateTimeOffset eventTime)
    {
        var response = await features.PostAsJsonAsync("api/features/labels", new { labelId, entityId = entity, name, value, eventTime });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
    }

    static async Task<string> CreateDatasetAsync(HttpClient ingestion)
    {
        var response = await ingestion.PostAsJsonAsync("api/ingestion/datasets", new { createdBy = "tests", description = "dataset training test" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("version").GetString()!;
    }

    static async Task<List<Mlops.Training.Data.TrainingSetRow>> TrainingSetAsync(HttpClient features, object request)
    {
        var response = await features.PostAsJsonAsync("api/features/training-sets", request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<Mlops.Training.Data.TrainingSetRow>(l, Json)!).ToList();
    }

    async Task<RunRecord> RunToEndAsync(HttpClient training, object request)
    {
        var started = await training.PostAsJsonAsync("/api/training/runs", request);
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync());
        var run = await WaitForEndAsync(training, (await started.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("runId").GetGuid());
        Assert.True(run.Status == RunStatus.Completed, $"run {run.RunId} {run.Status} at {run.FailedStep}: {run.FailureReason}");
        return run;
    }

    static async Task<RunRecord> WaitForEndAsync(HttpClient training, Guid runId)
    {
        RunRecord? run = null;
        await Eventually.WaitUntilAsync(async () =>
        {
            var response = await training.GetAsync($"/api/training/runs/{runId}");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }

            run = (await response.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("run").Deserialize<RunRecord>(Json);
            return run?.Status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled;
        }, $"run {runId} ending", TimeSpan.FromMinutes(3));
        return run!;
    }

    async Task<DataValidationReport> DataValidationAsync(Guid runId)
    {
        var artifact = await app.Services.GetRequiredService<RunStore>().GetArtifactAsync(runId, TrainingPipeline.DataValidationArtifact, CancellationToken.None);
        return TrainingPipeline.ReadDataValidation(artifact!.Content)!;
    }
}
