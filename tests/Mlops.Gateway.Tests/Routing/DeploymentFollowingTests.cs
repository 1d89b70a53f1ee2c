using System.Net.Http.Json;
using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Registry;
using Mlops.Gateway.Routing;
using Mlops.Testing;
using static Mlops.Gateway.Tests.Routes;

namespace Mlops.Gateway.Tests.Routing;

/// <summary>
/// The gateway reads the registry's deployments at start (waiting for it, readiness saying so) and follows
/// <c>DeploymentChanged</c> over the real RabbitMQ without a restart, on every replica.
/// </summary>
public sealed class DeploymentFollowingTests : IAsyncLifetime
{
    readonly string _model = PlatformInfrastructure.UniqueName("model");
    RabbitMqVirtualHost _vhost = null!;
    InferenceStandIn _inference = null!;

    public async Task InitializeAsync()
    {
        _vhost = await RabbitMqVirtualHost.CreateAsync("gateway-follow");
        _inference = await InferenceStandIn.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _inference.DisposeAsync();
        await _vhost.DisposeAsync();
    }

    [Fact]
    public async Task Start_RegistryDown_ReadinessDegradedUntilItAnswers_ThenItsRoutesServe()
    {
        var port = InferenceStandIn.FreePort();
        await using var gateway = new GatewayAppFactory(_inference.BaseAddress, new Uri($"http://127.0.0.1:{port}/"), _vhost.Name);
        var client = await gateway.KeyedClientAsync();
        Assert.Equal("Degraded", await GatewayAppFactory.CheckAsync(client, "registry-deployments"));
        var entity = ChallengerEntity(Canary(30));
        await PredictAsync(client, entity);
        Assert.Null(Received(entity).Last().Variant);

        await using var registry = await RegistryStandIn.StartAsync(port, new RegistryDeployment(_model, 4, Canary(30)));
        await Eventually.WaitUntilAsync(async () => await GatewayAppFactory.CheckAsync(client, "registry-deployments") == "Healthy", "the registry's deployments were read");
        await PredictAsync(client, entity);
        Assert.Equal(ModelAliases.Challenger, Received(entity).Last().Variant);
    }

    [Fact]
    public async Task DeploymentChanged_FollowedByEveryReplicaWithoutRestart_OlderRevisionsIgnored()
    {
        var port = InferenceStandIn.FreePort();
        await using var registry = await RegistryStandIn.StartAsync(port, new RegistryDeployment(_model, 3, [Route(ModelAliases.Champion, "1", 100)]));
        var registryAddress = new Uri($"http://127.0.0.1:{port}/");
        await using var replicaA = new GatewayAppFactory(_inference.BaseAddress, registryAddress, _vhost.Name);
        await using var replicaB = new GatewayAppFactory(_inference.BaseAddress, registryAddress, _vhost.Name);
        var clientA = await replicaA.ReadyClientAsync();
        var clientB = await replicaB.ReadyClientAsync();
        var entity = ChallengerEntity(Canary(30));
        await PredictAsync(clientA, entity);
        Assert.Equal(ModelAliases.Champion, Received(entity).Last().Variant);

        await PublishAsync(replicaA, 5, Canary(30));
        await WaitForRevisionAsync(5, replicaA, replicaB);
        await PredictAsync(clientA, entity);
        Assert.Equal(ModelAliases.Challenger, Received(entity).Last().Variant);
        await PredictAsync(clientB, entity);
        Assert.Equal(ModelAliases.Challenger, Received(entity).Last().Variant);

        // A late or redelivered older revision must not move the model back; revisions are applied in order.
        var changes = (replicaA.Table.Changes, replicaB.Table.Changes);
        await PublishAsync(replicaB, 4, [Route(ModelAliases.Champion, "1", 100)]);
        await PublishAsync(replicaB, 5, [Route(ModelAliases.Champion, "1", 100)]);
        await PublishAsync(replicaB, 6, Canary(40));
        await WaitForRevisionAsync(6, replicaA, replicaB);
        Assert.Equal((changes.Item1 + 1, changes.Item2 + 1), (replicaA.Table.Changes, replicaB.Table.Changes));
        await PredictAsync(clientB, entity);
        Assert.Equal(ModelAliases.Challenger, Received(entity).Last().Variant);
    }

    [Fact]
    public async Task ReplicasAndRestarts_PutEveryEntityOnTheSameVariant()
    {
        var port = InferenceStandIn.FreePort();
        await using var registry = await RegistryStandIn.StartAsync(port, new RegistryDeployment(_model, 8, Canary(25)));
        var registryAddress = new Uri($"http://127.0.0.1:{port}/");
        var entities = Enumerable.Range(0, 100).Select(i => $"{_model}-{i}").ToList();
        var seen = new List<Dictionary<string, string?>>();
        for (var replica = 0; replica < 3; replica++)
        {
            // Three gateway hosts one after the other, each with fresh state: other replicas and restarts alike (side by
            // side replicas following events are covered above). Nothing but the routes decides.
            await using var gateway = new GatewayAppFactory(_inference.BaseAddress, registryAddress, _vhost.Name);
            var client = await gateway.ReadyClientAsync();
            var variants = new Dictionary<string, string?>();
            foreach (var entity in entities)
            {
                await PredictAsync(client, entity);
                variants[entity] = Received(entity).Last().Variant;
            }

            seen.Add(variants);
        }

        Assert.All(entities, e => Assert.Equal(VariantAssignment.Assign(_model, e, Canary(25))!.Alias, seen[0][e]));
        Assert.Equal(seen[0], seen[1]);
        Assert.Equal(seen[0], seen[2]);
    }

    string ChallengerEntity(TrafficRoute[] routes) =>
        Enumerable.Range(0, 1000).Select(i => $"{_model}-{i}").First(e => VariantAssignment.Assign(_model, e, routes)!.Alias == ModelAliases.Challenger);

    async Task PredictAsync(HttpClient client, string entity)
    {
        using var response = await client.PostAsync($"/api/inference/models/{_model}/predict", new StringContent($$"""{"entityId":"{{entity}}"}""", Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }

    List<ReceivedRequest> Received(string entity) => [.. _inference.Received.Where(r => r.Body.Contains(entity, StringComparison.Ordinal))];

    Task PublishAsync(GatewayAppFactory gateway, long revision, TrafficRoute[] routes) =>
        gateway.Services.GetRequiredService<IBus>().Publish(new DeploymentChanged { ModelName = _model, Routes = routes, Revision = revision });

    async Task WaitForRevisionAsync(long revision, params GatewayAppFactory[] replicas) =>
        await Eventually.WaitUntilAsync(() => replicas.All(r => r.Table.Find(_model)?.Revision == revision), $"every replica applied revision {revision}");
}
