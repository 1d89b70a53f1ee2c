using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Kafka;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Ingestion.Tests;

/// <summary>
/// The ingestion service in-process against the real PostgreSQL and Kafka, with a database and topics of
/// its own so dataset hashes and topic contents see only this collection's observations.
/// </summary>
public sealed class IngestionServiceFixture : WebApplicationFactory<Program>, IAsyncLifetime
{
    /// <summary>Raw upstream topic the service reads.</summary>
    public string RawTopic { get; } = PlatformInfrastructure.UniqueName("obs-raw");

    /// <summary>Topic accepted observations are published to.</summary>
    public string AcceptedTopic { get; } = PlatformInfrastructure.UniqueName("obs");

    /// <summary>Topic refused Kafka records go to.</summary>
    public string RejectedTopic { get; } = PlatformInfrastructure.UniqueName("obs-rejected");

    /// <summary>The collection's own database.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        ConnectionString = await PlatformInfrastructure.CreateDatabaseAsync("ingestion_t");
        _ = Server; // start the host now, with the settings below
        await Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([RawTopic, AcceptedTopic, RejectedTopic]);
    }

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:ingestion", ConnectionString);
        builder.UseSetting("Ingestion:RawTopic", RawTopic);
        builder.UseSetting("Ingestion:AcceptedTopic", AcceptedTopic);
        builder.UseSetting("Ingestion:RejectedTopic", RejectedTopic);
        builder.UseSetting("Ingestion:IntakeGroup", PlatformInfrastructure.UniqueName("intake"));
        builder.UseEnvironment("Testing");
    }

    /// <summary>A connection to the collection's database.</summary>
    public NpgsqlDataSource CreateDataSource() => NpgsqlDataSource.Create(ConnectionString);

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class IngestionCollection : ICollectionFixture<IngestionServiceFixture>
{
    public const string Name = "ingestion-service";
}
