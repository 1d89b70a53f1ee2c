using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Training;
using Mlops.Testing;

namespace Mlops.Training.Tests;

/// <summary>The training pipeline saga end to end over RabbitMQ, with runs tracked in PostgreSQL.</summary>
[Collection(TrainingCollection.Name)]
public sealed class TrainingPipelineTests(TrainingAppFactory app)
{
    const string FeatureSet = "fs-test-1";
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    StartTrainingRun Command(string label, int seed = 7, IReadOnlyList<SearchParameter>? search = null) => new()
    {
        RunId = NewId.NextGuid(),
        ModelName = "deterioration-test",
        FeatureSetVersion = FeatureSet,
        DatasetVersion = "ds-test-1",
        LabelName = label,
        Algorithm = "gbdt",
        Hyperparameters = new Dictionary<string, double> { ["rounds"] = 20, ["min_samples_leaf"] = 10 },
        SearchSpace = search ?? [],
        Seed = seed,
        RequestedBy = "tests",
    };

    async Task<JsonElement> GetRunAsync(HttpClient http, Guid runId) =>
        await http.GetFromJsonAsync<JsonElement>($"/api/training/runs/{runId}", Json);

    async Task<JsonElement> WaitForStatusAsync(HttpClient http, Guid runId, params string[] statuses)
    {
        JsonElement view = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            var response = await http.GetAsync($"/api/training/runs/{runId}");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }

            view = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
            return statuses.Contains(view.GetProperty("run").GetProperty("status").GetString());
        }, $"run {runId} reaching {string.Join("/", statuses)}");
        return view;
    }

    [Fact]
    public async Task StartTrainingRun_SyntheticSet_CompletesEveryStepWithMetricsArtifactsAndRegistration()
    {
        var label = PlatformInfrastructure.UniqueName("deteriorated");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(3000, seed: 3, FeatureSet));
        var command = Command(label, search: [new SearchParameter { Name = "max_leaves", Values = [4, 8] }]) with { SubgroupFeature = "ward" };
        using var http = app.CreateClient();

        await app.Services.GetRequiredService<IBus>().Publish(command);
        var view = await WaitForStatusAsync(http, command.RunId, "Completed", "Failed");

        var run = view.GetProperty("run");
        Assert.True(run.GetProperty("status").GetString() == "Completed", run.GetProperty("failureReason").GetString());
        Assert.Equal("Completed", view.GetProperty("pipelineState").GetString());
        var metrics = run.GetProperty("metrics");
        Assert.InRange(metrics.GetProperty("auroc").GetDouble(), 0.6, 1.0);
        Assert.True(metrics.GetProperty("export_max_probability_error").GetDouble() <= 1e-5);
        Assert.Equal(3000, metrics.GetProperty("rows").GetDouble());
        Assert.Equal(600, metrics.GetProperty("test_rows").GetDouble());
        Assert.Equal(FeatureSet, run.GetProperty("featureSetVersion").GetString());
        Assert.Equal("ds-test-1", run.GetProperty("datasetVersion").GetString());
        Assert.False(string.IsNullOrEmpty(run.GetProperty("codeVersion").GetString()));
        Assert.Equal(7, run.GetProperty("seed").GetInt32());
        Assert.Equal(64, run.GetProperty("trainingSetSha256").GetString()!.Length);
        Assert.True(run.GetProperty("durationMs").GetDouble() > 0);
        Assert.Equal(2, run.GetProperty("childRunIds").GetArrayLength());
        var artifacts = run.GetProperty("artifacts").EnumerateArray().ToDictionary(a => a.GetProperty("name").GetString()!, a => a.GetProperty("sha256").GetString()!);
        Assert.Equal(["data-validation.json", "evaluation.json", "model.onnx", "reference-profile.json", "subgroups.json"], artifacts.Keys.Order().ToArray());
        Assert.InRange(metrics.GetProperty("p99_latency_ms").GetDouble(), 1e-6, 1000);
        Assert.True(metrics.GetProperty("p50_latency_ms").GetDouble() <= metrics.GetProperty("p99_latency_ms").GetDouble());
        Assert.InRange(metrics.GetProperty("subgroup_auroc_gap").GetDouble(), 0, 1);

        var model = await http.GetByteArrayAsync($"/api/training/runs/{command.RunId}/artifacts/model");
        var sha = Convert.ToHexStringLower(SHA256.HashData(model));
        Assert.Equal(artifacts["model.onnx"], sha);

        // The step timeline: every step once, in pipeline order, each ended before the run did.
        var steps = run.GetProperty("steps").EnumerateArray().ToArray();
        Assert.Equal(TrainingSteps.All, steps.Select(x => x.GetProperty("step").GetString()!).ToArray());
        Assert.All(steps, x => Assert.Equal("Completed", x.GetProperty("status").GetString()));
        Assert.All(steps, x => Assert.True(x.GetProperty("durationMs").GetDouble() >= 0));
        Assert.All(steps.Zip(steps.Skip(1)), pair =>
            Assert.True(pair.First.GetProperty("finishedAt").GetDateTimeOffset() <= pair.Second.GetProperty("startedAt").GetDateTimeOffset()));
        Assert.True(steps[^1].GetProperty("finishedAt").GetDateTimeOffset() <= run.GetProperty("finishedAt").GetDateTimeOffset());

        // The held-out evaluation with its curves: 600 test rows in 10 reliability bins, the ROC from origin to corner.
        var evaluation = await http.GetFromJsonAsync<JsonElement>($"/api/training/runs/{command.RunId}/evaluation", Json);
        Assert.Equal(600, evaluation.GetProperty("count").GetInt32());
        Assert.Equal(metrics.GetProperty("auroc").GetDouble(), evaluation.GetProperty("auroc").GetDouble(), 12);
        Assert.Equal(600, evaluation.GetProperty("reliability").EnumerateArray().Sum(b => b.GetProperty("count").GetInt32()));
        var roc = evaluation.GetProperty("roc").EnumerateArray().ToArray();
        Assert.InRange(roc.Length, 3, Mlops.Training.Algorithms.Evaluation.BinaryMetrics.MaxRocPoints);
        Assert.Equal((0.0, 0.0), (roc[0].GetProperty("falsePositiveRate").GetDouble(), roc[0].GetProperty("truePositiveRate").GetDouble()));
        Assert.Equal((1.0, 1.0), (roc[^1].GetProperty("falsePositiveRate").GetDouble(), roc[^1].GetProperty("truePositiveRate").GetDouble()));
        var trial = run.GetProperty("childRunIds")[0].GetGuid();
        var noEvaluation = await http.GetAsync($"/api/training/runs/{trial}/evaluation");
        Assert.Equal(HttpStatusCode.NotFound, noEvaluation.StatusCode);
        Assert.Contains("no held-out evaluation", await noEvaluation.Content.ReadAsStringAsync());
        Assert.Contains("No training run", await (await http.GetAsync($"/api/training/runs/{Guid.NewGuid()}/evaluation")).Content.ReadAsStringAsync());

        // What drift monitoring compares production with: the 2,400 training rows per feature and the 600 test predictions.
        var profile = (await http.GetFromJsonAsync<Mlops.Contracts.Monitoring.ReferenceProfile>(
            $"/api/training/runs/{command.RunId}/artifacts/reference-profile", JsonSerializerOptions.Web))!;
        Assert.Equal((command.RunId.ToString(), FeatureSet, 2400), (profile.TrainingRunId, profile.FeatureSetVersion, profile.TrainingRows));
        Assert.Equal(600, profile.Predictions.Count);
        Assert.All(profile.Predictions, p => Assert.InRange(p, 0, 1));
        Assert.NotEmpty(profile.Features);
        Assert.All(profile.Features.Values, values => Assert.InRange(values.Count, 1, 2400));

        using var registry = new HttpClient { BaseAddress = app.Registry.BaseAddress };
        Assert.Equal(model, await registry.GetByteArrayAsync($"api/registry/artifacts/{sha}"));
        var version = $"1.0.0-run.{command.RunId:N}";
        JsonElement registered = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            var response = await registry.GetAsync($"api/registry/models/deterioration-test/versions/{version}");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }

            registered = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
            return true;
        }, "the registry recording the version sent by RegisterModelVersion");
        var text = registered.GetRawText();
        Assert.Contains(sha, text);
        Assert.Contains(command.RunId.ToString(), text);
        Assert.Contains(FeatureSet, text);
        var subgroups = registered.GetRawText();
        foreach (var ward in new[] { "ward:0", "ward:1", "ward:2" })
        {
            Assert.Contains($"\"{ward}\"", subgroups);
        }

        var child = await GetRunAsync(http, run.GetProperty("childRunIds")[0].GetGuid());
        Assert.Equal(command.RunId, child.GetProperty("run").GetProperty("parentRunId").GetGuid());
        Assert.Equal(4, child.GetProperty("run").GetProperty("parameters").GetProperty("max_leaves").GetDouble());
        Assert.True(child.GetProperty("run").GetProperty("metrics").TryGetProperty("validation_auroc", out _));

        var workspaceStore = app.Services.GetRequiredService<Mlops.Training.Pipeline.WorkspaceStore>();
        await Eventually.WaitUntilAsync(async () => await workspaceStore.LoadAsync(command.RunId, "model", CancellationToken.None) is null,
            "the ended run's intermediate outputs being dropped");

        var list = await http.GetFromJsonAsync<JsonElement>("/api/training/runs?model=deterioration-test", Json);
        Assert.Contains(list.EnumerateArray(), r => r.GetProperty("runId").GetGuid() == command.RunId);
    }

    [Fact]
    public async Task StartTrainingRun_SingleClassLabel_FailsAtValidationWithReason()
    {
        var label = PlatformInfrastructure.UniqueName("never");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(200, seed: 4, FeatureSet, constantLabel: 0));
        var command = Command(label);
        using var http = app.CreateClient();

        await app.Services.GetRequiredService<IBus>().Publish(command);
        var view = await WaitForStatusAsync(http, command.RunId, "Completed", "Failed");

        var run = view.GetProperty("run");
        Assert.Equal("Failed", run.GetProperty("status").GetString());
        Assert.Equal("Failed", view.GetProperty("pipelineState").GetString());
        Assert.Equal(TrainingSteps.ValidateData, run.GetProperty("failedStep").GetString());
        Assert.Contains("single class", run.GetProperty("failureReason").GetString());
        var step = Assert.Single(run.GetProperty("steps").EnumerateArray());
        Assert.Equal((TrainingSteps.ValidateData, "Failed"), (step.GetProperty("step").GetString(), step.GetProperty("status").GetString()));
        Assert.DoesNotContain(run.GetProperty("artifacts").EnumerateArray(), a => a.GetProperty("name").GetString() == "model.onnx");
    }

    [Fact]
    public async Task CancelEndpoint_RunStreamingItsTrainingSet_EndsCancelledWithoutModel()
    {
        var label = PlatformInfrastructure.UniqueName("slow");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(300, seed: 5, FeatureSet));
        var streaming = app.TrainingSets.Gate(label);
        using var http = app.CreateClient();
        var body = new { modelName = "deterioration-test", featureSetVersion = FeatureSet, datasetVersion = "ds-test-1", labelName = label, algorithm = "gbdt", seed = 1, requestedBy = "tests" };

        var response = await http.PostAsJsonAsync("/api/training/runs", body);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var runId = (await response.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("runId").GetGuid();
        await streaming.WaitAsync(Eventually.DefaultTimeout);
        var during = await GetRunAsync(http, runId);
        Assert.Equal(TrainingSteps.ValidateData, during.GetProperty("currentStep").GetString());

        var cancel = await http.PostAsJsonAsync($"/api/training/runs/{runId}/cancel", new { requestedBy = "tests" });
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var view = await WaitForStatusAsync(http, runId, "Cancelled", "Completed", "Failed");
        app.TrainingSets.Open(label);

        Assert.Equal("Cancelled", view.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal("Cancelled", view.GetProperty("pipelineState").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/api/training/runs/{runId}/artifacts/model")).StatusCode);
    }

    [Fact]
    public async Task TwoRuns_SameInputsAndSeed_ByteIdenticalModels()
    {
        var label = PlatformInfrastructure.UniqueName("repeat");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(3000, seed: 6, FeatureSet));
        var first = Command(label, seed: 11) with { Hyperparameters = new Dictionary<string, double> { ["rounds"] = 20, ["row_subsample"] = 0.7, ["column_subsample"] = 0.7 } };
        var second = first with { RunId = NewId.NextGuid() };
        using var http = app.CreateClient();
        var bus = app.Services.GetRequiredService<IBus>();

        await bus.Publish(first);
        await bus.Publish(second);
        await WaitForStatusAsync(http, first.RunId, "Completed", "Failed");
        await WaitForStatusAsync(http, second.RunId, "Completed", "Failed");

        var comparison = await http.GetFromJsonAsync<JsonElement>($"/api/training/runs/compare?a={first.RunId}&b={second.RunId}", Json);
        Assert.True(comparison.GetProperty("sameModel").GetBoolean());
        Assert.True(comparison.GetProperty("sameTrainingSet").GetBoolean());
        Assert.Equal(0, comparison.GetProperty("metrics").GetProperty("auroc").GetProperty("difference").GetDouble());
        var a = await http.GetByteArrayAsync($"/api/training/runs/{first.RunId}/artifacts/model");
        var b = await http.GetByteArrayAsync($"/api/training/runs/{second.RunId}/artifacts/model");
        Assert.Equal(SHA256.HashData(a), SHA256.HashData(b));
    }

    [Fact]
    public async Task Steps_EachInAFreshWorkspace_LoadInputsFromDatabaseAndExportTheUninterruptedRunsModel()
    {
        var label = PlatformInfrastructure.UniqueName("restart");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(3000, seed: 9, FeatureSet));
        var uninterrupted = Command(label, seed: 5) with
        {
            Algorithm = "bagged_gbdt",
            Hyperparameters = new Dictionary<string, double> { ["rounds"] = 20, ["members"] = 3, ["row_subsample"] = 0.8 },
        };
        var restarted = uninterrupted with { RunId = NewId.NextGuid() };
        using var http = app.CreateClient();
        await app.Services.GetRequiredService<IBus>().Publish(uninterrupted);
        var first = (await WaitForStatusAsync(http, uninterrupted.RunId, "Completed", "Failed")).GetProperty("run");
        Assert.True(first.GetProperty("status").GetString() == "Completed", first.GetProperty("failureReason").GetString());

        // A new workspace entry per step is what a restarted process or another replica sees: nothing in memory.
        string[] steps = [TrainingSteps.ValidateData, TrainingSteps.BuildTrainingSet, TrainingSteps.Split, TrainingSteps.Train,
            TrainingSteps.Evaluate, TrainingSteps.Export, TrainingSteps.Verify];
        foreach (var step in steps)
        {
            using var scope = app.Services.CreateScope();
            await scope.ServiceProvider.GetRequiredService<Mlops.Training.Pipeline.TrainingStepRunner>()
                .RunAsync(restarted, step, new Mlops.Training.Pipeline.RunWorkspace.Entry(), CancellationToken.None);
        }

        var a = await http.GetByteArrayAsync($"/api/training/runs/{uninterrupted.RunId}/artifacts/model");
        var b = await http.GetByteArrayAsync($"/api/training/runs/{restarted.RunId}/artifacts/model");
        Assert.Equal(Convert.ToHexString(SHA256.HashData(a)), Convert.ToHexString(SHA256.HashData(b)));
        var comparison = await http.GetFromJsonAsync<JsonElement>($"/api/training/runs/compare?a={uninterrupted.RunId}&b={restarted.RunId}", Json);
        Assert.True(comparison.GetProperty("sameTrainingSet").GetBoolean());
        Assert.Equal(0, comparison.GetProperty("metrics").GetProperty("auroc").GetProperty("difference").GetDouble());
        Assert.True((await GetRunAsync(http, restarted.RunId)).GetProperty("run").GetProperty("metrics").GetProperty("export_max_probability_error").GetDouble() < 1e-5);
    }

    [Fact]
    public async Task StepWithoutStoredInputs_FreshWorkspace_FailsNamingTheMissingInput()
    {
        var command = Command(PlatformInfrastructure.UniqueName("nothing"));
        using var scope = app.Services.CreateScope();
        var runner = scope.ServiceProvider.GetRequiredService<Mlops.Training.Pipeline.TrainingStepRunner>();
        await scope.ServiceProvider.GetRequiredService<Tracking.RunStore>().CreateAsync(Tracking.RunRecords.FromRequest(command, "test"), CancellationToken.None);

        var error = await Assert.ThrowsAsync<Mlops.Training.Pipeline.TrainingStepException>(() =>
            runner.RunAsync(command, TrainingSteps.Train, new Mlops.Training.Pipeline.RunWorkspace.Entry(), CancellationToken.None));

        Assert.Contains("training rows", error.Message);
    }

    public static TheoryData<string> OtherAlgorithms => ["logistic_regression", "random_search"];

    [Theory]
    [MemberData(nameof(OtherAlgorithms))]
    public async Task StartTrainingRun_OtherAlgorithmsAndRandomSearch_CompleteWithMetricsAndVerifiedExport(string kind)
    {
        var label = PlatformInfrastructure.UniqueName(kind.Replace('_', '-'));
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(3000, seed: 12, FeatureSet));
        var command = kind == "logistic_regression"
            ? Command(label) with { Algorithm = "logistic_regression", Hyperparameters = new Dictionary<string, double> { ["l2"] = 2 } }
            : Command(label, search:
                [
                    new SearchParameter { Name = "learning_rate", Low = 0.03, High = 0.3, Log = true },
                    new SearchParameter { Name = "max_leaves", Low = 4, High = 16, Integer = true },
                ]) with { SearchTrials = 3 };
        using var http = app.CreateClient();

        await app.Services.GetRequiredService<IBus>().Publish(command);
        var run = (await WaitForStatusAsync(http, command.RunId, "Completed", "Failed")).GetProperty("run");

        Assert.True(run.GetProperty("status").GetString() == "Completed", run.GetProperty("failureReason").GetString());
        var metrics = run.GetProperty("metrics");
        Assert.InRange(metrics.GetProperty("auroc").GetDouble(), 0.55, 1.0);
        Assert.True(metrics.GetProperty("export_max_probability_error").GetDouble() <= 1e-5);
        Assert.Equal(kind == "random_search" ? 3 : 0, run.GetProperty("childRunIds").GetArrayLength());
        if (kind == "random_search")
        {
            Assert.True(metrics.TryGetProperty("best_validation_auroc", out _));
        }
    }

    [Fact]
    public async Task PostRun_BadBody_Returns400NamingEveryBadField()
    {
        using var http = app.CreateClient();
        var response = await http.PostAsJsonAsync("/api/training/runs", new { modelName = "m", algorithm = "svm", hyperparameters = new { rounds = 5 }, requestedBy = "tests" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("errors");
        var fields = errors.EnumerateObject().Select(p => p.Name).Order().ToArray();
        Assert.Equal(["algorithm", "datasetVersion", "featureSetVersion", "labelName"], fields);
    }
}
