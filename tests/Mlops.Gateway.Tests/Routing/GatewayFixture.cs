using Mlops.Contracts.Registry;
using Mlops.Gateway.Routing;
using Mlops.Testing;
using static Mlops.Gateway.Tests.Routes;

namespace Mlops.Gateway.Tests.Routing;

/// <summary>
/// One gateway over a stand-in inference pod and registry: <c>deterioration</c> (the shipped default model) split
/// 80/20, <c>sepsis</c> split 50/50 with its challenger on a cluster of its own (one pod per version), <c>single</c>
/// served by its champion alone; every other model has no deployment.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    RabbitMqVirtualHost _vhost = null!;
    RegistryStandIn _registry = null!;

    public InferenceStandIn Inference { get; private set; } = null!;

    public InferenceStandIn ChallengerPod { get; private set; } = null!;

    public GatewayAppFactory Gateway { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _vhost = await RabbitMqVirtualHost.CreateAsync("gateway-routing");
        Inference = await InferenceStandIn.StartAsync();
        ChallengerPod = await InferenceStandIn.StartAsync();
        var port = InferenceStandIn.FreePort();
        _registry = await RegistryStandIn.StartAsync(port,
            new RegistryDeployment("deterioration", 3, Canary(20)),
            new RegistryDeployment("sepsis", 7, Canary(50)),
            new RegistryDeployment("single", 2, [Route(ModelAliases.Champion, "1", 100)]));
        Gateway = new GatewayAppFactory(Inference.BaseAddress, new Uri($"http://127.0.0.1:{port}/"), _vhost.Name, new Dictionary<string, string?>
        {
            // One pod per version for sepsis's challenger: the cluster and the variant's mapping to it.
            ["ReverseProxy:Clusters:inference-challenger:Destinations:primary:Address"] = ChallengerPod.BaseAddress.ToString(),
            ["Gateway:Variants:Clusters:challenger"] = "inference-challenger",
        });
        Client = await Gateway.ReadyClientAsync();
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Inference.DisposeAsync();
        await ChallengerPod.DisposeAsync();
        await _registry.DisposeAsync();
        await _vhost.DisposeAsync();
    }
}
