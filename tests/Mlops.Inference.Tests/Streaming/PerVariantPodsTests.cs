using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Contracts.Features;
using Mlops.Contracts.Inference;
using Mlops.Contracts.Kafka;
using Mlops.Contracts.Registry;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;

namespace Mlops.Inference.Tests.Streaming;

/// <summary>
/// One pod per version: a champion-only and a challenger-only pod (<c>Inference:Variants</c>) configured with the same
/// streaming consumer group read the same <c>features.v1</c> topic (three partitions). Each must see every partition
/// (the variant set is part of its group) and score only its own entities, so every vector is scored exactly once.
/// </summary>
public sealed class PerVariantPodsTests : IAsyncLifetime
{
    readonly AllPredictions _sink = new();
    RabbitMqVirtualHost _virtualHost = null!;
    InferenceAppFactory _champion = null!;
    InferenceAppFactory _challenger = null!;
    IHost _downstream = null!;

    public async Task InitializeAsync()
    {
        _virtualHost = await RabbitMqVirtualHost.CreateAsync("inference-variant-pods");
        var group = PlatformInfrastructure.UniqueName("inference-test");
        _champion = VariantDeployment.Pod(_virtualHost, new Dictionary<string, string?>
        {
            ["Inference:Variants:0"] = ModelAliases.Champion,
            ["Inference:Streaming:ConsumerGroup"] = group,
        });

        // The second pod reads and writes the first one's topics, in the same configured group.
        _challenger = VariantDeployment.Pod(_virtualHost, new Dictionary<string, string?>
        {
            ["Inference:Variants:0"] = ModelAliases.Challenger,
            ["Inference:Streaming:ConsumerGroup"] = group,
            ["Inference:Streaming:FeaturesTopic"] = _champion.FeaturesTopic,
            ["Inference:Streaming:PredictionsTopic"] = _champion.PredictionsTopic,
        });

        var builder = TestHost.CreateBuilder("inference-tests-variant-pods");
        builder.AddPlatformKafka();
        builder.Services.AddSingleton(_sink);
        builder.AddKafkaConsumer<PredictionMade, AllPredictionsHandler>(PlatformInfrastructure.UniqueName("downstream"), [_champion.PredictionsTopic]);
        _downstream = builder.Build();
        await _downstream.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([_champion.FeaturesTopic, _champion.PredictionsTopic]);
        await _downstream.StartAsync();

        var routes = VariantDeployment.Routes(challengerPercent: 40, shadow: false);
        await VariantDeployment.DeployAsync(_champion, await _champion.ReadyClientAsync(), revision: 9, routes, [ModelAliases.Champion]);
        await VariantDeployment.DeployAsync(_challenger, _challenger.CreateClient(), revision: 9, routes, [ModelAliases.Challenger]);
    }

    public async Task DisposeAsync()
    {
        await _downstream.StopAsync();
        _downstream.Dispose();
        await _challenger.DisposeAsync();
        await _champion.DisposeAsync();
        await _virtualHost.DisposeAsync();
    }

    [Fact]
    public async Task FeatureVectors_ChampionPodAndChallengerPod_EveryVectorScoredOnceByTheAssignedVariantsPod()
    {
        var routes = VariantDeployment.Routes(challengerPercent: 40, shadow: false);
        var producer = _champion.Services.GetRequiredService<IEventProducer>();
        var vitals = Models.Vitals(122, 25, 91, 38.6, 94);
        var run = PlatformInfrastructure.UniqueName("patient");
        var events = new List<EventEnvelope<FeatureVectorUpdated>>();
        foreach (var entity in Enumerable.Range(0, 60).Select(i => $"{run}-{i}"))
        {
            events.Add(await producer.ProduceAsync(_champion.FeaturesTopic, entity, new FeatureVectorUpdated
            {
                EntityId = entity, EntityType = "patient", FeatureSetVersion = ArtifactServer.ShippedVersion, Values = vitals,
                EventTime = DateTimeOffset.UtcNow, ComputedAt = DateTimeOffset.UtcNow,
            }));
        }

        await Eventually.WaitUntilAsync(() => events.All(e => _sink.Of(e.Id).Count > 0), "every feature vector was scored by one of the pods");

        foreach (var e in events)
        {
            var expected = VariantAssignment.Assign(VariantDeployment.Model, e.Data.EntityId, routes)!;
            Assert.Equal([(expected.Alias, expected.Version)], _sink.Of(e.Id).Select(p => (p.Variant, p.ModelVersion)).Distinct());
        }

        Assert.Equal([ModelAliases.Challenger, ModelAliases.Champion], events.Select(e => _sink.Of(e.Id)[0].Variant).Distinct().Order());
    }
}
