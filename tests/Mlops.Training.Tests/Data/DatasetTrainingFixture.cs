using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Mlops.Kafka;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Training.Tests.Data;

/// <summary>
/// The whole path a run's rows take, with nothing stood in: ingestion, the features service and the registry as
/// processes on their shipped configuration (own databases, topics and RabbitMQ virtual host — connection settings),
/// ingestion's validated observations streaming into the features service's live store over Kafka, and the training
/// service in process reading its training sets from the features service over HTTP.
/// </summary>
public sealed class DatasetTrainingFixture : WebApplicationFactory<Program>, IAsyncLifetime
{
    readonly string _registrySchema = PlatformInfrastructure.UniqueName("dsreg").Replace('-', '_');
    readonly string _observationsTopic = PlatformInfrastructure.UniqueName("ds-obs");
    readonly string _rawTopic = PlatformInfrastructure.UniqueName("ds-raw");
    readonly string _labelsTopic = PlatformInfrastructure.UniqueName("ds-labels");
    readonly string _featuresTopic = PlatformInfrastructure.UniqueName("ds-features");
    readonly string _deadLetterTopic = PlatformInfrastructure.UniqueName("ds-dead");

    public DatasetTrainingFixture() => _ = PlatformInfrastructure.Configuration;

    public ServiceProcess Registry { get; private set; } = null!;

    public ServiceProcess Ingestion { get; private set; } = null!;

    public ServiceProcess Features { get; private set; } = null!;

    public RabbitMqVirtualHost VirtualHost { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await EnsureTopicsAsync([_observationsTopic, _rawTopic, _labelsTopic, _featuresTopic, _deadLetterTopic]);
        VirtualHost = await RabbitMqVirtualHost.CreateAsync("dataset-training");
        Registry = ServiceProcess.Start("services/registry/Mlops.Registry", new Dictionary<string, string>
        {
            ["ConnectionStrings__registry"] = PlatformInfrastructure.ConnectionString("tests"),
            ["EventStore__Schema"] = _registrySchema,
            [RabbitMqVirtualHost.EnvironmentVariable] = VirtualHost.Name,
        });
        Ingestion = IngestionProcess.Start(await PlatformInfrastructure.CreateDatabaseAsync("dstrain_ingestion"), _observationsTopic, _rawTopic, new Dictionary<string, string>
        {
            ["Kafka__DeadLetterTopic"] = _deadLetterTopic,
            [RabbitMqVirtualHost.EnvironmentVariable] = VirtualHost.Name,
        });
        Features = ServiceProcess.Start("services/features/Mlops.Features", new Dictionary<string, string>
        {
            ["ConnectionStrings__features"] = await PlatformInfrastructure.CreateDatabaseAsync("dstrain_features"),
            ["Features__IngestionBaseAddress"] = Ingestion.BaseAddress.ToString(),
            ["Features__Topics__Observations"] = _observationsTopic,
            ["Features__Topics__Labels"] = _labelsTopic,
            ["Features__Topics__Features"] = _featuresTopic,
            ["Features__Topics__ObservationGroup"] = PlatformInfrastructure.UniqueName("ds-stream"),
            ["Features__Topics__LabelGroup"] = PlatformInfrastructure.UniqueName("ds-labels"),
            ["Kafka__DeadLetterTopic"] = _deadLetterTopic,
            [RabbitMqVirtualHost.EnvironmentVariable] = VirtualHost.Name,
        });
        await Task.WhenAll(Registry.WaitUntilReadyAsync(), Ingestion.WaitUntilReadyAsync(), Features.WaitUntilReadyAsync());
        _ = Server;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Connection settings only: the broker's virtual host and where the other services listen.
        builder.UseSetting(RabbitMqVirtualHost.ConfigurationKey, VirtualHost.Name);
        builder.UseSetting("Training:RegistryBaseAddress", Registry.BaseAddress.ToString());
        builder.UseSetting("Training:FeaturesBaseAddress", Features.BaseAddress.ToString());
        builder.ConfigureTestServices(services => services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true));
    }

    static async Task EnsureTopicsAsync(IEnumerable<string> topics)
    {
        await new KafkaTopicAdmin(KafkaClientConfigFactory.From(PlatformInfrastructure.Configuration), NullLogger<KafkaTopicAdmin>.Instance).EnsureTopicsAsync(topics);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Features.DisposeAsync();
        await Ingestion.DisposeAsync();
        await Registry.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await using var dataSource = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("tests"));
        await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{_registrySchema}\" CASCADE");
        await drop.ExecuteNonQueryAsync();
    }
}
