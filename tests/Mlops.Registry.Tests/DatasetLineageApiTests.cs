using System.Net;
using System.Net.Http.Json;
using Mlops.Registry.Api;

namespace Mlops.Registry.Tests;

/// <summary><c>GET /api/registry/datasets/{datasetVersion}/models</c>: the model versions a dataset version trained.</summary>
public sealed class DatasetLineageApiTests : IAsyncLifetime
{
    RegistryHost _host = null!;

    public async Task InitializeAsync() => _host = await RegistryHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task DatasetModels_VersionsOfSeveralModels_ListsOnlyThoseTrainedFromTheDataset()
    {
        var dataset = Mlops.Testing.PlatformInfrastructure.UniqueName("ds");
        var first = Models.NewName();
        var second = Models.NewName();
        await RegisterAsync(first, "1.0.0", dataset);
        await RegisterAsync(first, "1.1.0", "another-dataset");
        await RegisterAsync(second, "2.0.0", dataset);
        (await Models.PromoteAsync(_host, second, "2.0.0")).Dispose();

        var answer = await _host.GetAsync<DatasetModels>($"/api/registry/datasets/{dataset}/models");

        Assert.Equal(dataset, answer.DatasetVersion);
        Assert.Equal(new[] { (first, "1.0.0"), (second, "2.0.0") }.Order(), answer.Models.Select(m => (m.ModelName, m.Version)).Order());
        var promoted = Assert.Single(answer.Models, m => m.ModelName == second);
        Assert.Equal(["champion"], promoted.Aliases);
        Assert.Equal("run-2.0.0", promoted.TrainingRunId);
        Assert.Matches("^[0-9a-f]{64}$", promoted.ArtifactSha256);
    }

    [Fact]
    public async Task DatasetModels_UnknownDataset_IsEmpty_AndAControlCharacterIsRefused()
    {
        var empty = await _host.GetAsync<DatasetModels>($"/api/registry/datasets/{Mlops.Testing.PlatformInfrastructure.UniqueName("none")}/models");
        Assert.Empty(empty.Models);

        using var bad = await _host.Client.GetAsync("/api/registry/datasets/bad%01id/models");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("datasetVersion", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    async Task RegisterAsync(string model, string version, string dataset)
    {
        var sha = await Models.UploadAsync(_host, $"onnx bytes of {model} {version}");
        var registration = Models.Registration(model, version, sha, Models.Metrics(0.80)) with { DatasetVersion = dataset };
        using var response = await _host.Client.PostAsJsonAsync($"/api/registry/models/{model}/versions", registration);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }
}
