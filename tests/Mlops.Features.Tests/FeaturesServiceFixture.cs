using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Contracts.Ingestion;
using Mlops.Contracts.Kafka;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Features.Tests;

/// <summary>The features service in-process against real PostgreSQL and Kafka, with its own database and topics.</summary>
public sealed class FeaturesServiceFixture : WebApplicationFactory<Program>, IAsyncLifetime
{
    public string ObservationsTopic { get; } = PlatformInfrastructure.UniqueName("obs");

    public string LabelsTopic { get; } = PlatformInfrastructure.UniqueName("labels");

    public string FeaturesTopic { get; } = PlatformInfrastructure.UniqueName("features");

    /// <summary>Where this collection's consumers dead-letter, so a test reads only its own records.</summary>
    public string DeadLetterTopic { get; } = PlatformInfrastructure.UniqueName("deadletter");

    public string ConnectionString { get; private set; } = "";

    /// <summary>A real ingestion process with its own database, for dataset versions of the raw store.</summary>
    public ServiceProcess Ingestion { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await PlatformInfrastructure.CreateDatabaseAsync("features_t");
        Ingestion = IngestionProcess.Start(
            await PlatformInfrastructure.CreateDatabaseAsync("features_t_ingestion"), PlatformInfrastructure.UniqueName("obs-from-ingestion"), PlatformInfrastructure.UniqueName("obs-raw"));
        await Ingestion.WaitUntilReadyAsync();
        _ = Server;
        await Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([ObservationsTopic, LabelsTopic, FeaturesTopic, DeadLetterTopic]);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:features", ConnectionString);
        builder.UseSetting("Features:IngestionBaseAddress", Ingestion.BaseAddress.ToString());
        builder.UseSetting("Features:Topics:Observations", ObservationsTopic);
        builder.UseSetting("Features:Topics:Labels", LabelsTopic);
        builder.UseSetting("Features:Topics:Features", FeaturesTopic);
        builder.UseSetting("Kafka:DeadLetterTopic", DeadLetterTopic);
        builder.UseSetting("Features:Topics:ObservationGroup", PlatformInfrastructure.UniqueName("stream"));
        builder.UseSetting("Features:Topics:LabelGroup", PlatformInfrastructure.UniqueName("labels"));
        builder.UseEnvironment("Testing");
    }

    public NpgsqlDataSource CreateDataSource() => NpgsqlDataSource.Create(ConnectionString);

    /// <summary>Publishes an observation to the collection's topic the way ingestion's relay does.</summary>
    public Task PublishAsync(ObservationAccepted observation) =>
        Services.GetRequiredService<IEventProducer>().ProduceEnvelopeAsync(ObservationsTopic, Envelope(observation));

    /// <summary>The envelope ingestion's relay publishes for an observation (event id = observation id).</summary>
    public static EventEnvelope<ObservationAccepted> Envelope(ObservationAccepted observation) => new()
    {
        Id = observation.ObservationId,
        Source = "/services/ingestion",
        Type = EnvelopeSerializer.EventTypeOf(typeof(ObservationAccepted)),
        Time = observation.RecordedAt,
        Subject = observation.EntityId,
        Data = observation,
    };

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Ingestion.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class FeaturesCollection : ICollectionFixture<FeaturesServiceFixture>
{
    public const string Name = "features-service";
}
