using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Training;
using Mlops.Testing;

namespace Mlops.Training.Tests;

/// <summary>
/// What a new user's first runs meet, on the shipped configuration: features the data cannot fill, a choice of
/// features, the minimum-quality gate, and the registry's answer deciding the outcome.
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed class TrainingRunQualityTests(TrainingAppFactory app)
{
    const string FeatureSet = "fs-test-1";
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    static StartTrainingRun Command(string label, string model = "deterioration-quality", int seed = 7) => new()
    {
        RunId = NewId.NextGuid(),
        ModelName = model,
        FeatureSetVersion = FeatureSet,
        DatasetVersion = "ds-test-1",
        LabelName = label,
        Algorithm = "gbdt",
        Hyperparameters = new Dictionary<string, double> { ["rounds"] = 30, ["min_samples_leaf"] = 10 },
        Seed = seed,
        RequestedBy = "tests",
    };

    async Task<JsonElement> RunAsync(StartTrainingRun command, HttpClient http)
    {
        await app.Services.GetRequiredService<IBus>().Publish(command);
        JsonElement run = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            var response = await http.GetAsync($"/api/training/runs/{command.RunId}");
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return false;
            }

            run = (await response.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("run");
            return run.GetProperty("status").GetString() is "Completed" or "Failed" or "Cancelled";
        }, $"run {command.RunId} ending");
        return run;
    }

    async Task<JsonElement> RegisteredVersionAsync(string model, string version)
    {
        using var registry = new HttpClient { BaseAddress = app.Registry.BaseAddress };
        var response = await registry.GetAsync($"api/registry/models/{model}/versions/{version}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Json);
    }

    static string? Reason(JsonElement run) => run.GetProperty("failureReason").GetString();

    [Fact]
    public async Task StartTrainingRun_FeaturesNeverMeasured_LeftOutRecordedAndRegisteredWithoutThem()
    {
        var label = PlatformInfrastructure.UniqueName("hourly");
        string[] neverMeasured = ["heart_rate_slope_1h", "heart_rate_std_1h"];
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(3000, seed: 21, FeatureSet, alwaysMissing: neverMeasured));
        var command = Command(label);
        using var http = app.CreateClient();

        var run = await RunAsync(command, http);

        Assert.True(run.GetProperty("status").GetString() == "Completed", Reason(run));
        Assert.Equal(2, run.GetProperty("metrics").GetProperty("features_excluded").GetDouble());
        Assert.Equal(12, run.GetProperty("metrics").GetProperty("features_used").GetDouble());
        var registered = await RegisteredVersionAsync(command.ModelName, $"1.0.0-run.{command.RunId:N}");
        var inputs = registered.GetRawText();
        var registration = JsonDocument.Parse(inputs).RootElement;
        var names = FindProperty(registration, "inputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()!).ToArray();
        Assert.Equal(12, names.Length);
        Assert.DoesNotContain("heart_rate_slope_1h", names);
        Assert.DoesNotContain("heart_rate_std_1h", names);
        var limitations = FindProperty(registration, "limitations").GetString();
        Assert.Contains("Excluded features", limitations);
        Assert.Contains("heart_rate_slope_1h: missing in 100.0% of the rows", limitations);
        Assert.Contains("heart_rate_std_1h", limitations);
    }

    [Fact]
    public async Task StartTrainingRun_FeaturePatterns_TrainOnExactlyTheMatchingFeatures()
    {
        var label = PlatformInfrastructure.UniqueName("chosen");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(3000, seed: 22, FeatureSet));
        var command = Command(label) with { Features = ["*_rate", "spo2", "systolic_bp", "temperature", "consciousness", "on_*", "lactate"] };
        using var http = app.CreateClient();

        var run = await RunAsync(command, http);

        Assert.True(run.GetProperty("status").GetString() == "Completed", Reason(run));
        var registration = await RegisteredVersionAsync(command.ModelName, $"1.0.0-run.{command.RunId:N}");
        var names = FindProperty(registration, "inputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()!).ToArray();
        Assert.Equal(["consciousness", "heart_rate", "lactate", "on_oxygen", "respiratory_rate", "spo2", "systolic_bp", "temperature"], names);
    }

    [Fact]
    public async Task PostRun_UnknownFeatureNames_Returns400NamingThem()
    {
        app.TrainingSets.Add(PlatformInfrastructure.UniqueName("catalogue"), InTestTrainingSetSource.Synthetic(60, seed: 23, FeatureSet));
        using var http = app.CreateClient();
        var body = new
        {
            modelName = "deterioration-quality", featureSetVersion = FeatureSet, datasetVersion = "ds-test-1", labelName = "any", algorithm = "gbdt",
            requestedBy = "tests", features = new[] { "heart_rate", "pulse_rate", "pulse_pressure_*" },
        };

        var response = await http.PostAsJsonAsync("/api/training/runs", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("errors");
        var message = Assert.Single(errors.GetProperty("features").EnumerateArray()).GetString();
        Assert.Contains("pulse_rate", message);
        Assert.Contains("pulse_pressure_*", message);
        Assert.DoesNotContain("heart_rate", message);
    }

    [Fact]
    public async Task StartTrainingRun_TooFewFeaturesLeft_FailsAtValidationNamingThem()
    {
        var label = PlatformInfrastructure.UniqueName("sparse");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(300, seed: 24, FeatureSet, alwaysMissing: ["creatinine_last_24h", "creatinine_slope_24h"]));
        var command = Command(label) with { Features = ["heart_rate", "creatinine_*"] };
        using var http = app.CreateClient();

        var run = await RunAsync(command, http);

        Assert.Equal("Failed", run.GetProperty("status").GetString());
        Assert.Equal(TrainingSteps.ValidateData, run.GetProperty("failedStep").GetString());
        var reason = Reason(run)!;
        Assert.Contains("only 1 feature(s) remain (heart_rate)", reason);
        Assert.Contains("creatinine_last_24h (100% missing)", reason);
        Assert.Contains("at least 3", reason);
    }

    [Fact]
    public async Task StartTrainingRun_RandomLabels_FailsTheQualityGateNamingTheFigures()
    {
        var label = PlatformInfrastructure.UniqueName("coin");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(600, seed: 25, FeatureSet, randomLabels: true));
        var command = Command(label);
        using var http = app.CreateClient();

        var run = await RunAsync(command, http);

        Assert.Equal("Failed", run.GetProperty("status").GetString());
        Assert.Equal(TrainingSteps.Evaluate, run.GetProperty("failedStep").GetString());
        var metrics = run.GetProperty("metrics");
        var reason = Reason(run)!;
        Assert.Contains("model AUROC " + metrics.GetProperty("auroc").GetDouble().ToString("F3", CultureInfo.InvariantCulture), reason);
        Assert.Contains("vs rule " + metrics.GetProperty("baseline_rule_auroc").GetDouble().ToString("F3", CultureInfo.InvariantCulture), reason);
        Assert.Contains("vs constant 0.500", reason);
        Assert.Contains("margin 0.020", reason);
        Assert.Equal(0.5, metrics.GetProperty("baseline_constant_auroc").GetDouble());
        Assert.DoesNotContain(run.GetProperty("artifacts").EnumerateArray(), a => a.GetProperty("name").GetString() == "model.onnx");
    }

    [Fact]
    public async Task StartTrainingRun_GoodModel_RecordsTheBaselinesItBeat()
    {
        var label = PlatformInfrastructure.UniqueName("baselines");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(3000, seed: 26, FeatureSet));
        var command = Command(label);
        using var http = app.CreateClient();

        var run = await RunAsync(command, http);

        Assert.True(run.GetProperty("status").GetString() == "Completed", Reason(run));
        var metrics = run.GetProperty("metrics");
        Assert.True(metrics.GetProperty("auroc").GetDouble() >= metrics.GetProperty("baseline_rule_auroc").GetDouble() + 0.02);
        Assert.True(metrics.GetProperty("log_loss").GetDouble() <= metrics.GetProperty("baseline_constant_log_loss").GetDouble());
        Assert.True(metrics.GetProperty("brier").GetDouble() <= metrics.GetProperty("baseline_constant_brier").GetDouble());
    }

    [Fact]
    public async Task StartTrainingRun_VersionAlreadyRegisteredWithAnotherModel_FailsAtRegisterWithTheRegistrysReason()
    {
        var label = PlatformInfrastructure.UniqueName("twice");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(3000, seed: 27, FeatureSet));
        var model = PlatformInfrastructure.UniqueName("dup");
        var first = Command(label, model, seed: 1) with { ModelVersion = "2.0.0" };
        var second = Command(label, model, seed: 2) with { ModelVersion = "2.0.0", Hyperparameters = new Dictionary<string, double> { ["rounds"] = 31, ["min_samples_leaf"] = 10 } };
        using var http = app.CreateClient();

        var firstRun = await RunAsync(first, http);
        var secondRun = await RunAsync(second, http);

        Assert.True(firstRun.GetProperty("status").GetString() == "Completed", Reason(firstRun));
        Assert.Equal("Failed", secondRun.GetProperty("status").GetString());
        Assert.Equal(TrainingSteps.Register, secondRun.GetProperty("failedStep").GetString());
        Assert.Contains("the registry refused the model version: Version: version 2.0.0 is already registered with another artifact", Reason(secondRun));
        var registered = await RegisteredVersionAsync(model, "2.0.0");
        Assert.Contains(first.RunId.ToString(), registered.GetRawText());
    }

    [Fact]
    public async Task StartTrainingRun_VersionAlreadyRegisteredWithTheIdenticalModelByAnotherRun_FailsNamingThatRun()
    {
        var label = PlatformInfrastructure.UniqueName("identical");
        app.TrainingSets.Add(label, InTestTrainingSetSource.Synthetic(3000, seed: 28, FeatureSet));
        var model = PlatformInfrastructure.UniqueName("same");
        var first = Command(label, model) with { ModelVersion = "3.0.0" };
        var second = first with { RunId = NewId.NextGuid() };
        using var http = app.CreateClient();

        var firstRun = await RunAsync(first, http);
        var secondRun = await RunAsync(second, http);

        Assert.True(firstRun.GetProperty("status").GetString() == "Completed", Reason(firstRun));
        Assert.Equal("Failed", secondRun.GetProperty("status").GetString());
        Assert.Equal(TrainingSteps.Register, secondRun.GetProperty("failedStep").GetString());
        Assert.Contains($"version 3.0.0 is already registered (by training run {first.RunId})", Reason(secondRun));
    }

    static JsonElement FindProperty(JsonElement element, string name)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.NameEquals(name))
                {
                    return property.Value;
                }

                if (FindProperty(property.Value, name) is { ValueKind: not JsonValueKind.Undefined } found)
                {
                    return found;
                }
            }
        }

        return default;
    }
}
