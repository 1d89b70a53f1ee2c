using Confluent.Kafka;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Features;
using Mlops.Contracts.Ingestion;
using Mlops.Contracts.Kafka;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;

namespace Mlops.Features.Tests;

/// <summary>
/// The features service in-process with a database of its own, so the definition sets these tests register never
/// reach the shipped-set tests' database (their vectors would add rows per entity there).
/// </summary>
public sealed class DefinitionSetsFixture : WebApplicationFactory<Program>, IAsyncLifetime
{
    public string ObservationsTopic { get; } = PlatformInfrastructure.UniqueName("obs-sets");

    public string FeaturesTopic { get; } = PlatformInfrastructure.UniqueName("features-sets");

    public string ConnectionString { get; private set; } = "";

    /// <summary>A real ingestion process: codes registered there at run time, and dataset versions of its raw store.</summary>
    public ServiceProcess Ingestion { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await PlatformInfrastructure.CreateDatabaseAsync("features_sets");
        // Not the topic this host streams from: history reaches the registered set only through a backfill.
        Ingestion = IngestionProcess.Start(
            await PlatformInfrastructure.CreateDatabaseAsync("features_sets_ingestion"), PlatformInfrastructure.UniqueName("obs-from-ingestion"), PlatformInfrastructure.UniqueName("obs-raw"));
        await Ingestion.WaitUntilReadyAsync();
        _ = Server;
        await Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([ObservationsTopic, FeaturesTopic]);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Ingestion.DisposeAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:features", ConnectionString);
        builder.UseSetting("Features:IngestionBaseAddress", Ingestion.BaseAddress.ToString());
        builder.UseSetting("Features:Topics:Observations", ObservationsTopic);
        builder.UseSetting("Features:Topics:Labels", PlatformInfrastructure.UniqueName("labels-sets"));
        builder.UseSetting("Features:Topics:Features", FeaturesTopic);
        builder.UseSetting("Kafka:DeadLetterTopic", PlatformInfrastructure.UniqueName("deadletter-sets"));
        builder.UseSetting("Features:Topics:ObservationGroup", PlatformInfrastructure.UniqueName("stream"));
        builder.UseSetting("Features:Topics:LabelGroup", PlatformInfrastructure.UniqueName("labels"));
        builder.UseEnvironment("Testing");
    }

    public Task PublishAsync(string topic, ObservationAccepted observation) =>
        Services.GetRequiredService<IEventProducer>().ProduceEnvelopeAsync(topic, FeaturesServiceFixture.Envelope(observation));

    /// <summary>Reads <paramref name="topic"/> from its beginning, with a group of its own.</summary>
    public VectorReader Reader(string topic) => new(Services.GetRequiredService<KafkaClientConfigFactory>(), topic);
}

/// <summary>Every vector read from a topic so far, so waiting for one never discards another a test asks for later.</summary>
public sealed class VectorReader : IDisposable
{
    readonly IConsumer<string?, byte[]> _consumer;
    readonly List<FeatureVectorUpdated> _seen = [];

    public VectorReader(KafkaClientConfigFactory configs, string topic)
    {
        _consumer = new ConsumerBuilder<string?, byte[]>(configs.CreateConsumerConfig(PlatformInfrastructure.UniqueName("reader"), "test-reader"))
            .SetLogHandler((_, _) => { }).Build();
        _consumer.Subscribe(topic);
    }

    /// <summary>The first vector read (now or earlier) that matches, or a timeout naming <paramref name="what"/>.</summary>
    public async Task<FeatureVectorUpdated> WaitForAsync(Func<FeatureVectorUpdated, bool> match, string what)
    {
        FeatureVectorUpdated? found = null;
        await Eventually.WaitUntilAsync(() =>
        {
            var deadline = DateTime.UtcNow.AddMilliseconds(500);
            while (DateTime.UtcNow < deadline && _consumer.Consume(TimeSpan.FromMilliseconds(100))?.Message is { } message)
            {
                _seen.Add(EnvelopeSerializer.Deserialize<FeatureVectorUpdated>(message.Value).Data);
            }

            found = _seen.FirstOrDefault(match);
            return found is not null;
        }, what);
        return found!;
    }

    /// <summary>Position of the first vector read so far that matches, or −1.</summary>
    public int IndexOf(Func<FeatureVectorUpdated, bool> match) => _seen.FindIndex(v => match(v));

    public void Dispose()
    {
        _consumer.Close();
        _consumer.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class DefinitionSetsCollection : ICollectionFixture<DefinitionSetsFixture>
{
    public const string Name = "feature-definition-sets";
}
