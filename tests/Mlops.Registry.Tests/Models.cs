using System.Net;
using System.Net.Http.Json;
using System.Text;
using Mlops.Contracts.Registry;

namespace Mlops.Registry.Tests;

/// <summary>Builds registrations of the deterioration model with the metrics a test needs.</summary>
internal static class Models
{
    public static string NewName() => Mlops.Testing.PlatformInfrastructure.UniqueName("ews");

    public static ModelMetrics Metrics(double auroc, double p99 = 40, bool leakage = true, double? worstSubgroup = null) => new()
    {
        Overall = new Dictionary<string, double> { ["auroc"] = auroc, ["brier"] = 0.11, ["ece"] = 0.02, ["p99_latency_ms"] = p99 },
        Subgroups = new Dictionary<string, IReadOnlyDictionary<string, double>>
        {
            ["age:18-64"] = new Dictionary<string, double> { ["auroc"] = auroc + 0.005 },
            ["age:65+"] = new Dictionary<string, double> { ["auroc"] = worstSubgroup ?? auroc - 0.005 },
        },
        Checks = new Dictionary<string, bool> { ["leakage"] = leakage },
        Calibration = [new CalibrationBin { MeanPredicted = 0.1, ObservedRate = 0.09, Count = 900 }, new CalibrationBin { MeanPredicted = 0.7, ObservedRate = 0.66, Count = 100 }],
    };

    /// <summary>Uploads a distinct artifact and registers a version pointing at it.</summary>
    public static async Task RegisterAsync(RegistryHost host, string model, string version, ModelMetrics metrics)
    {
        var sha = await UploadAsync(host, $"onnx bytes of {model} {version}");
        var response = await host.Client.PostAsJsonAsync($"/api/registry/models/{model}/versions", Registration(model, version, sha, metrics));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    public static async Task<string> UploadAsync(RegistryHost host, string content)
    {
        var response = await host.Client.PostAsync("/api/registry/artifacts", new ByteArrayContent(Encoding.UTF8.GetBytes(content)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Api.ArtifactStored>(Json.Options))!.Sha256;
    }

    public static RegisterModelVersion Registration(string model, string version, string sha, ModelMetrics metrics) => new()
    {
        ModelName = model, Version = version, ArtifactSha256 = sha, Metrics = metrics,
        Signature = new ModelSignature
        {
            Inputs = [new FeatureSpec { Name = "heart_rate_mean_1h", Type = "float32", Shape = [-1, 1] }, new FeatureSpec { Name = "lactate_last", Type = "float32", Shape = [-1, 1] }],
            Outputs = [new FeatureSpec { Name = "probability", Type = "float32", Shape = [-1, 1] }],
        },
        DatasetVersion = "ds-2026-11-01", FeatureSetVersion = "fs-7", TrainingRunId = "run-" + version, CodeVersion = "abc1234",
        RegisteredBy = "training", IntendedUse = "Early warning of deterioration within 12 h for adult ward patients.",
        Limitations = "Not validated for paediatric or ICU patients.",
    };

    public static Task<HttpResponseMessage> PromoteAsync(RegistryHost host, string model, string version, string alias = ModelAliases.Champion, long? expectedRevision = null) =>
        host.Client.PostAsJsonAsync($"/api/registry/models/{model}/promotions", new Api.PromotionRequest(version, alias, "ops-alice", "weekly retrain", expectedRevision));

    public static async Task SetPolicyAsync(RegistryHost host, string model, PromotionPolicy policy)
    {
        var response = await host.Client.PutAsJsonAsync($"/api/registry/models/{model}/policy", new Api.PolicyRequest(policy, "governance-bob", "clinical safety board rules"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
