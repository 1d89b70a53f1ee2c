using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Registry;
using Mlops.Testing;

namespace Mlops.Inference.Tests;

/// <summary>
/// The pod follows the registry's <c>DeploymentChanged</c> over the real RabbitMQ for every model, each served by name:
/// v1 from a local artifact, v2 from a deployment event whose artifact comes from the (stand-in) registry endpoint.
/// </summary>
public sealed class DeploymentFollowingTests : IAsyncLifetime
{
    readonly string _modelName = PlatformInfrastructure.UniqueName("deterioration-gbdt");
    ArtifactServer _registry = null!;
    InferenceAppFactory _factory = null!;
    HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _registry = await ArtifactServer.StartAsync();
        var v1 = TrainedModels.Export(TrainedModels.Gbdt, "v1");
        var settings = TrainedModels.Serving(_modelName, "1", v1);
        settings["Inference:RegistryBaseAddress"] = _registry.BaseAddress.ToString();
        settings["Inference:ArtifactCacheDirectory"] = Path.Combine(Path.GetTempPath(), "mlops-inference-tests", _modelName);
        _factory = new InferenceAppFactory(withModel: false, settings: settings);
        _client = await _factory.ReadyClientAsync(model: _modelName);

        // The deployment queue must be bound before anything is published, or the event would go nowhere.
        var bus = _factory.Services.GetRequiredService<IBusControl>();
        await Eventually.WaitUntilAsync(() => bus.CheckHealth().Status == BusHealthStatus.Healthy, "the bus and the deployment endpoint are up");
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _registry.DisposeAsync();
    }

    [Fact]
    public async Task DeploymentChanged_NewChampion_IsFetchedVerifiedAndServed()
    {
        var v2 = TrainedModels.Export(TrainedModels.Gbdt2, "v2");
        _registry.Serve(v2.Sha256, v2.Bytes);
        var row = TrainedModels.Data(1, seed: 99).Row(0).ToArray();
        Assert.True(Math.Abs(TrainedModels.Gbdt.PredictProbability(row) - TrainedModels.Gbdt2.PredictProbability(row)) > 1e-3, "the two versions must be told apart");

        await PublishAsync(revision: 3, Route("champion", "2", v2.Sha256, 90), Route("challenger", "1", "unused", 10));
        await WaitForVersionAsync("2");

        var answer = await _client.PredictAsync(TrainedModels.AsFeatures(row), _modelName);
        Assert.Equal("2", answer.GetProperty("modelVersion").GetString());
        Assert.Equal("champion", answer.GetProperty("variant").GetString());
        Assert.Equal(TrainedModels.Gbdt2.PredictProbability(row), answer.GetProperty("probability").GetDouble(), 1e-5);
    }

    [Fact]
    public async Task DeploymentChanged_TamperedArtifact_IsRefusedAndOldVersionKeepsServing()
    {
        var v2 = TrainedModels.Export(TrainedModels.Gbdt2, "v2");
        var tampered = (byte[])v2.Bytes.Clone();
        tampered[^1] ^= 0xFF;
        _registry.Serve(v2.Sha256, tampered);

        await PublishAsync(revision: 3, Route("champion", "2", v2.Sha256, 100));
        await Eventually.WaitUntilAsync(async () => (await StatusAsync()).GetProperty("lastError").GetString()?.Contains(v2.Sha256, StringComparison.Ordinal) == true, "the tampered artifact was refused");

        var status = await StatusAsync();
        Assert.Equal("Serving", status.GetProperty("state").GetString());
        Assert.Equal("1", status.GetProperty("modelVersion").GetString());
        var row = TrainedModels.Data(1, seed: 99).Row(0).ToArray();
        var answer = await _client.PredictAsync(TrainedModels.AsFeatures(row), _modelName);
        Assert.Equal("1", answer.GetProperty("modelVersion").GetString());
        Assert.Equal(TrainedModels.Gbdt.PredictProbability(row), answer.GetProperty("probability").GetDouble(), 1e-5);
    }

    [Fact]
    public async Task DeploymentChanged_AnotherModel_IsServedByItsNameAndOursKeepsItsVersion()
    {
        var v2 = TrainedModels.Export(TrainedModels.Gbdt2, "v2");
        _registry.Serve(v2.Sha256, v2.Bytes);
        var other = PlatformInfrastructure.UniqueName("other-model");

        await PublishAsync(revision: 5, Route("champion", "9", v2.Sha256, 100), modelName: other);
        await _factory.ReadyClientAsync(model: other);

        var row = TrainedModels.Data(1, seed: 99).Row(0).ToArray();
        var answer = await _client.PredictAsync(TrainedModels.AsFeatures(row), other);
        Assert.Equal("9", answer.GetProperty("modelVersion").GetString());
        Assert.Equal(TrainedModels.Gbdt2.PredictProbability(row), answer.GetProperty("probability").GetDouble(), 1e-5);
        Assert.Equal("1", (await StatusAsync()).GetProperty("modelVersion").GetString());
    }

    [Fact]
    public async Task DeploymentChanged_NoRoutes_TheRetiredModelIsUnloadedAndOursKeepsServing()
    {
        var v2 = TrainedModels.Export(TrainedModels.Gbdt2, "v2");
        _registry.Serve(v2.Sha256, v2.Bytes);
        var retired = PlatformInfrastructure.UniqueName("retired-model");
        await PublishAsync(revision: 5, Route("champion", "9", v2.Sha256, 100), modelName: retired);
        await _factory.ReadyClientAsync(model: retired);

        // The registry's retirement: the same model with no route at all.
        await _factory.Services.GetRequiredService<IBus>().Publish(new DeploymentChanged { ModelName = retired, Routes = [], Revision = 6 });
        await Eventually.WaitUntilAsync(async () => (await _client.GetAsync($"/api/inference/models/{retired}")).StatusCode == HttpStatusCode.NotFound,
            $"{retired} is no longer listed");

        var row = TrainedModels.Data(1, seed: 99).Row(0).ToArray();
        using var refused = await _client.PostAsJsonAsync($"/api/inference/models/{retired}/predict", new { features = TrainedModels.AsFeatures(row) });
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        var ours = await _client.PredictAsync(TrainedModels.AsFeatures(row), _modelName);
        Assert.Equal("1", ours.GetProperty("modelVersion").GetString());
    }

    static TrafficRoute Route(string alias, string version, string sha256, int percent) =>
        new() { Alias = alias, Version = version, ArtifactSha256 = sha256, TrafficPercent = percent };

    Task PublishAsync(long revision, TrafficRoute champion, TrafficRoute? challenger = null, string? modelName = null) =>
        _factory.Services.GetRequiredService<IBus>().Publish(new DeploymentChanged
        {
            ModelName = modelName ?? _modelName,
            Routes = challenger is null ? [champion] : [champion, challenger],
            Revision = revision,
        });

    Task PublishAsync(long revision, TrafficRoute champion, string modelName) => PublishAsync(revision, champion, null, modelName);

    async Task<JsonElement> StatusAsync() => await _client.GetFromJsonAsync<JsonElement>($"/api/inference/models/{_modelName}");

    Task WaitForVersionAsync(string version) =>
        Eventually.WaitUntilAsync(async () => (await StatusAsync()).GetProperty("modelVersion").GetString() == version, $"version {version} serves");
}
