using Mlops.Contracts.Registry;
using Mlops.Registry.Api;
using Mlops.Registry.Domain;

namespace Mlops.Registry.Tests;

/// <summary><c>GET /api/registry/deployments</c>, which inference pods read at start.</summary>
public sealed class DeploymentsApiTests : IAsyncLifetime
{
    RegistryHost _host = null!;

    public async Task InitializeAsync() => _host = await RegistryHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Deployments_PromotedAndUnpromotedModels_ListsOnlyDeployedOnesWithRoutesAndRevision()
    {
        var deployed = Models.NewName();
        var registeredOnly = Models.NewName();
        await Models.RegisterAsync(_host, deployed, "1.0.0", Models.Metrics(0.80));
        await Models.PromoteAsync(_host, deployed, "1.0.0");
        await Models.RegisterAsync(_host, registeredOnly, "1.0.0", Models.Metrics(0.80));

        var deployments = await _host.GetAsync<List<CurrentDeployment>>("/api/registry/deployments");
        var state = await _host.GetAsync<ModelState>($"/api/registry/models/{deployed}");

        var deployment = Assert.Single(deployments, d => d.ModelName == deployed);
        Assert.DoesNotContain(deployments, d => d.ModelName == registeredOnly);
        Assert.Equal(state.Revision, deployment.Revision);
        var route = Assert.Single(deployment.Routes);
        Assert.Equal((ModelAliases.Champion, "1.0.0", 100), (route.Alias, route.Version, route.TrafficPercent));
        Assert.Equal(state.Versions["1.0.0"].Registration.ArtifactSha256, route.ArtifactSha256);
    }
}
