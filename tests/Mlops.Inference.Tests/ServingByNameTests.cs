using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Registry;
using Mlops.Inference.Streaming;
using Mlops.Testing;

namespace Mlops.Inference.Tests;

/// <summary>
/// Models served by name, as Triton/KServe serve a model repository: read from the registry's deployments at start,
/// answered on <c>/api/inference/models/{name}/…</c> and the Open Inference Protocol (v2) routes.
/// </summary>
public sealed class ServingByNameTests
{
    [Fact]
    public async Task PredictByName_DeployedBeforePodStarted_ServedWithVariantVersionHeaderAndPredictionId()
    {
        var name = PlatformInfrastructure.UniqueName("sepsis");
        await using var factory = new InferenceAppFactory(withModel: false);
        Deploy(factory.Upstream, name, TrainedModels.Gbdt, "3");
        var client = await factory.ReadyClientAsync(model: name);
        var row = TrainedModels.Data(1, seed: 21).Row(0).ToArray();

        using var response = await client.PostAsJsonAsync($"/api/inference/models/{name}/predict", new { features = TrainedModels.AsFeatures(row) });

        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("3", response.Headers.GetValues("X-Model-Version").Single());
        Assert.Equal(name, body.GetProperty("modelName").GetString());
        Assert.Equal("3", body.GetProperty("modelVersion").GetString());
        Assert.Equal("champion", body.GetProperty("variant").GetString());
        Assert.Equal(7, Guid.Parse(body.GetProperty("predictionId").GetString()!).Version);
        Assert.Equal(TrainedModels.Gbdt.PredictProbability(row), body.GetProperty("probability").GetDouble(), 1e-5);
    }

    [Fact]
    public async Task PredictByName_UnknownModel_404ProblemDetails()
    {
        await using var factory = new InferenceAppFactory();
        var client = await factory.ReadyClientAsync();

        using var inline = await client.PostAsJsonAsync("/api/inference/models/no-such-model/predict", new { features = Models.Vitals(80, 16, 96, 37, 120) });
        using var entity = await client.PostAsync("/api/inference/models/no-such-model/entities/p1/predict", null);

        foreach (var response in new[] { inline, entity })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Unknown model", problem.GetProperty("title").GetString());
            Assert.Equal(404, problem.GetProperty("status").GetInt32());
            Assert.Contains("no-such-model", problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task Predict_DefaultRoute_CarriesPredictionIdVariantAndVersionHeader()
    {
        await using var factory = new InferenceAppFactory();
        var client = await factory.ReadyClientAsync();

        using var first = await client.PostAsJsonAsync("/api/inference/predict", new { features = Models.Vitals(80, 16, 96, 37, 120) });
        using var second = await client.PostAsJsonAsync("/api/inference/predict", new { features = Models.Vitals(80, 16, 96, 37, 120) });

        var a = await first.Content.ReadFromJsonAsync<JsonElement>();
        var b = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("deterioration", a.GetProperty("modelName").GetString());
        Assert.Equal("local", a.GetProperty("variant").GetString());
        Assert.Equal("1", first.Headers.GetValues("X-Model-Version").Single());
        Assert.NotEqual(a.GetProperty("predictionId").GetString(), b.GetProperty("predictionId").GetString());
    }

    [Fact]
    public async Task OpenInferenceProtocol_MetadataReadyAndInfer_TenMemberEnsembleAnswersUncertainty()
    {
        var name = PlatformInfrastructure.UniqueName("ensemble10");
        var model = TrainedModels.Ensemble10;
        await using var factory = new InferenceAppFactory(withModel: false);
        Deploy(factory.Upstream, name, model, "7");
        var client = await factory.ReadyClientAsync(model: name);
        var data = TrainedModels.Data(3, seed: 31);

        var live = await client.GetAsync("/v2/health/live");
        var ready = await client.GetFromJsonAsync<JsonElement>($"/v2/models/{name}/ready");
        var metadata = await client.GetFromJsonAsync<JsonElement>($"/v2/models/{name}");
        using var infer = await client.PostAsJsonAsync($"/v2/models/{name}/infer", new
        {
            id = "request-42",
            inputs = new[] { new { name = "features", shape = new[] { 3, 5 }, datatype = "FP32", data = data.Features } },
        });
        using var nested = await client.PostAsJsonAsync($"/v2/models/{name}/infer", new
        {
            inputs = new[] { new { name = "features", shape = new[] { 3, 5 }, datatype = "FP32", data = Enumerable.Range(0, 3).Select(r => data.Row(r).ToArray()).ToArray() } },
        });

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.True(ready.GetProperty("ready").GetBoolean());
        Assert.Equal(name, metadata.GetProperty("name").GetString());
        Assert.Equal(["7"], metadata.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("onnxruntime", metadata.GetProperty("platform").GetString());
        var input = metadata.GetProperty("inputs")[0];
        Assert.Equal(("features", "FP32"), (input.GetProperty("name").GetString(), input.GetProperty("datatype").GetString()));
        Assert.Equal([-1, 5], input.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal(["probability", "uncertainty"], metadata.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("name").GetString()));

        infer.EnsureSuccessStatusCode();
        var body = await infer.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("request-42", body.GetProperty("id").GetString());
        Assert.Equal(name, body.GetProperty("model_name").GetString());
        Assert.Equal("7", body.GetProperty("model_version").GetString());
        Assert.Equal(3, body.GetProperty("parameters").GetProperty("prediction_ids").GetArrayLength());
        var outputs = body.GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!, o => o.GetProperty("data").EnumerateArray().Select(d => d.GetDouble()).ToArray());
        for (var r = 0; r < 3; r++)
        {
            var row = data.Row(r).ToArray();
            var expected = model.Predict(row);
            Assert.Equal(expected.Mean, outputs["probability"][r], 1e-5);
            Assert.Equal(expected.StandardDeviation, outputs["uncertainty"][r], 1e-5);
            Assert.True(outputs["uncertainty"][r] > 0);
        }

        // The same rows nested as [3][5] are the same request (KServe v2 accepts both layouts).
        nested.EnsureSuccessStatusCode();
        var nestedBody = await nested.Content.ReadFromJsonAsync<JsonElement>();
        var nestedProbabilities = nestedBody.GetProperty("outputs").EnumerateArray().First(o => o.GetProperty("name").GetString() == "probability")
            .GetProperty("data").EnumerateArray().Select(d => d.GetDouble()).ToArray();
        Assert.Equal(outputs["probability"], nestedProbabilities);
    }

    [Fact]
    public async Task OpenInferenceProtocol_BadInputAndUnknownModel_ErrorObject()
    {
        await using var factory = new InferenceAppFactory();
        var client = await factory.ReadyClientAsync();

        using var wrongShape = await client.PostAsJsonAsync("/v2/models/deterioration/infer", new
        {
            inputs = new[] { new { name = "features", shape = new[] { 1, 4 }, datatype = "FP32", data = new[] { 1.0, 2, 3, 4 } } },
        });
        using var wrongName = await client.PostAsJsonAsync("/v2/models/deterioration/infer", new
        {
            inputs = new[] { new { name = "vitals", shape = new[] { 1, 5 }, datatype = "FP32", data = new[] { 1.0, 2, 3, 4, 5 } } },
        });
        using var unknown = await client.GetAsync("/v2/models/no-such-model");

        Assert.Equal(HttpStatusCode.BadRequest, wrongShape.StatusCode);
        Assert.Contains("[N, 5]", (await wrongShape.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, wrongName.StatusCode);
        Assert.Contains("vitals", (await wrongName.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("no-such-model", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Start_RegistryDown_ReadinessSaysSoThenDeploymentServedOnceItAnswers()
    {
        var name = PlatformInfrastructure.UniqueName("late-registry");
        var port = FreePort();
        await using var factory = new InferenceAppFactory(settings: new Dictionary<string, string?> { ["Inference:RegistryBaseAddress"] = $"http://127.0.0.1:{port}/" });
        var client = await factory.ReadyClientAsync();

        await Eventually.WaitUntilAsync(async () => (await RegistryCheckAsync(client)).GetProperty("description").GetString()?.Contains("did not answer", StringComparison.Ordinal) == true, "readiness reports the registry");
        Assert.Equal("Degraded", (await RegistryCheckAsync(client)).GetProperty("status").GetString());
        // Deployed before it listens: a list read in between would be empty, and nothing would ever announce the deployment.
        await using var registry = await ArtifactServer.StartAsync(port, r => Deploy(r, name, TrainedModels.Gbdt, "4"));

        await factory.ReadyClientAsync(model: name);
        var answer = await client.PredictAsync(TrainedModels.AsFeatures(TrainedModels.Data(1, seed: 3).Row(0)), name);
        Assert.Equal("4", answer.GetProperty("modelVersion").GetString());
        await Eventually.WaitUntilAsync(async () => (await RegistryCheckAsync(client)).GetProperty("status").GetString() == "Healthy", "readiness recovers");
    }

    static async Task<JsonElement> RegistryCheckAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/health/ready");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks").GetProperty("registry-deployments");
    }

    [Fact]
    public async Task PredictEntity_PodRestartedAfterFeaturesExist_AnswersFromWarmCacheNot404()
    {
        var entity = PlatformInfrastructure.UniqueName("patient");
        var vitals = Models.Vitals(118, 24, 91, 38.4, 96);
        double first;
        await using (var before = new InferenceAppFactory())
        {
            before.Upstream.Store(entity, vitals);
            var client = await before.ReadyClientAsync();
            first = (await (await client.PostAsync($"/api/inference/entities/{entity}/predict", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("probability").GetDouble();
        }

        // The warm-up's vectors are trusted for MaxAge (1 s shipped); on a loaded machine more than that can pass between
        // the warm-up and the request, and the pod then rightly reads through. A long MaxAge keeps the test about the warm-up.
        await using var after = new InferenceAppFactory(settings: new Dictionary<string, string?> { ["Inference:OnlineCache:MaxAge"] = "00:10:00" });
        after.Upstream.Store(entity, vitals);
        var restarted = await after.ReadyClientAsync();
        var cache = after.Services.GetRequiredService<OnlineFeatureCache>();
        await Eventually.WaitUntilAsync(() => Task.FromResult(cache.TryGet(null, entity, out _, out _)), "the cache was warmed from the online store");

        using var response = await restarted.PostAsync($"/api/inference/entities/{entity}/predict", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(first, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("probability").GetDouble(), 9);
        Assert.Equal(Models.Expected(Models.V1, vitals).Mean, first, 1e-5);
        Assert.Equal(0, after.Upstream.EntityReads);
    }

    [Fact]
    public async Task PredictEntity_CacheMissForStoredEntity_ReadsThroughInsteadOf404()
    {
        await using var factory = new InferenceAppFactory();
        var client = await factory.ReadyClientAsync();
        var entity = PlatformInfrastructure.UniqueName("late-patient");
        factory.Upstream.Store(entity, Models.Vitals(80, 16, 96, 37, 120));

        using var found = await client.PostAsync($"/api/inference/entities/{entity}/predict", null);
        using var missing = await client.PostAsync("/api/inference/entities/nobody-at-all/predict", null);

        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(2, factory.Upstream.EntityReads);
    }

    static void Deploy(ArtifactServer registry, string name, Mlops.Training.Algorithms.IBinaryClassifier model, string version)
    {
        var export = TrainedModels.Export(model, name);
        registry.Serve(export.Sha256, export.Bytes);
        registry.Deploy(name, revision: 10, new TrafficRoute { Alias = "champion", Version = version, ArtifactSha256 = export.Sha256, TrafficPercent = 100 });
    }

    static int FreePort() => Mlops.Testing.ServiceProcess.FreePort();
}
