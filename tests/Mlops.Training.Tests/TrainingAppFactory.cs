using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Testing;
using Mlops.Training.Data;
using Npgsql;

namespace Mlops.Training.Tests;

/// <summary>
/// The training service in process against the real PostgreSQL and RabbitMQ, handing its models to a real registry
/// process (own event-store schema). Both run their shipped configuration, queue names included, in a RabbitMQ virtual
/// host of this fixture's own (a connection setting), so fixtures never consume each other's messages. Only the
/// features service is replaced, by an in-test training-set source and feature catalogue.
/// </summary>
public sealed class TrainingAppFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    readonly string _registrySchema = PlatformInfrastructure.UniqueName("trreg").Replace('-', '_');

    public TrainingAppFactory() => _ = PlatformInfrastructure.Configuration;

    public InTestTrainingSetSource TrainingSets { get; } = new();

    public ServiceProcess Registry { get; private set; } = null!;

    public RabbitMqVirtualHost VirtualHost { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        VirtualHost = await RabbitMqVirtualHost.CreateAsync("training-tests");
        Registry = ServiceProcess.Start("services/registry/Mlops.Registry", new Dictionary<string, string>
        {
            ["ConnectionStrings__registry"] = PlatformInfrastructure.ConnectionString("tests"),
            ["EventStore__Schema"] = _registrySchema,
            [RabbitMqVirtualHost.EnvironmentVariable] = VirtualHost.Name,
        });
        await Registry.WaitUntilReadyAsync();
        _ = Server;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Connection settings only: the broker's virtual host and where the registry process listens.
        builder.UseSetting(RabbitMqVirtualHost.ConfigurationKey, VirtualHost.Name);
        builder.UseSetting("Training:RegistryBaseAddress", Registry.BaseAddress.ToString());
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<ITrainingSetSource>(TrainingSets);
            services.AddSingleton<IFeatureCatalog>(TrainingSets);
            services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        });
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Registry.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await using var dataSource = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("tests"));
        await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{_registrySchema}\" CASCADE");
        await drop.ExecuteNonQueryAsync();
    }
}
