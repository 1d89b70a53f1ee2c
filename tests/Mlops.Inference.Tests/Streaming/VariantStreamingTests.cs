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
/// Canary for the stream: with champion, challenger (30 %) and shadow deployed in one pod, each feature vector on the
/// real Kafka is scored once, by the variant the shared assignment gives its entity; the shadow publishes nothing.
/// </summary>
public sealed class VariantStreamingTests : IAsyncLifetime
{
    readonly AllPredictions _sink = new();
    RabbitMqVirtualHost _virtualHost = null!;
    InferenceAppFactory _factory = null!;
    IHost _downstream = null!;

    public async Task InitializeAsync()
    {
        _virtualHost = await RabbitMqVirtualHost.CreateAsync("inference-variants");
        _factory = VariantDeployment.Pod(_virtualHost);
        var builder = TestHost.CreateBuilder("inference-tests-variant-stream");
        builder.AddPlatformKafka();
        builder.Services.AddSingleton(_sink);
        builder.AddKafkaConsumer<PredictionMade, AllPredictionsHandler>(PlatformInfrastructure.UniqueName("downstream"), [_factory.PredictionsTopic]);
        _downstream = builder.Build();
        await _downstream.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([_factory.FeaturesTopic, _factory.PredictionsTopic]);
        await _downstream.StartAsync();
        var client = await _factory.ReadyClientAsync();
        await VariantDeployment.DeployAsync(_factory, client, revision: 7, VariantDeployment.Routes(challengerPercent: 30));
    }

    public async Task DisposeAsync()
    {
        await _downstream.StopAsync();
        _downstream.Dispose();
        await _factory.DisposeAsync();
        await _virtualHost.DisposeAsync();
    }

    [Fact]
    public async Task FeatureVectors_ChallengerAtThirtyPercent_EachScoredOnceByItsEntitysVariant()
    {
        var routes = VariantDeployment.Routes(challengerPercent: 30);
        var producer = _factory.Services.GetRequiredService<IEventProducer>();
        var vitals = Models.Vitals(122, 25, 91, 38.6, 94);
        var events = new List<EventEnvelope<FeatureVectorUpdated>>();
        var run = PlatformInfrastructure.UniqueName("patient");
        foreach (var entity in Enumerable.Range(0, 60).Select(i => $"{run}-{i}"))
        {
            events.Add(await producer.ProduceAsync(_factory.FeaturesTopic, entity, new FeatureVectorUpdated
            {
                EntityId = entity, EntityType = "patient", FeatureSetVersion = ArtifactServer.ShippedVersion, Values = vitals,
                EventTime = DateTimeOffset.UtcNow, ComputedAt = DateTimeOffset.UtcNow,
            }));
        }

        await Eventually.WaitUntilAsync(() => events.All(e => _sink.Of(e.Id).Count > 0), "every feature vector was scored");

        foreach (var e in events)
        {
            var expected = VariantAssignment.Assign(VariantDeployment.Model, e.Data.EntityId, routes)!;
            // At least once: a redelivery may repeat the prediction, never add another variant's.
            var scoredBy = _sink.Of(e.Id).Select(p => (p.ModelName, p.Variant, p.ModelVersion)).Distinct().ToList();
            Assert.Equal([(VariantDeployment.Model, expected.Alias, expected.Version)], scoredBy);
            Assert.Equal(Models.Expected(VariantDeployment.ModelOf(expected.Version), vitals).Mean, _sink.Of(e.Id)[0].Probability, 5);
        }

        var variants = events.Select(e => _sink.Of(e.Id)[0].Variant).Distinct().Order().ToList();
        Assert.Equal([ModelAliases.Challenger, ModelAliases.Champion], variants);
    }
}
