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
/// The training service in process against the real PostgreSQL and RabbitMQ, on queues of its own, handing its models
/// to a real registry process (own event-store schema and queues). Only the features service is replaced, by an
/// in-test training-set source.
/// </summary>
public sealed class TrainingAppFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    readonly string _registrySchema = PlatformInfrastructure.UniqueName("trreg").Replace('-', '_');
    readonly string _registryPrefix = PlatformInfrastructure.UniqueName("registry-test");

    public TrainingAppFactory() => _ = PlatformInfrastructure.Configuration;

    public InTestTrainingSetSource TrainingSets { get; } = new();

    public ServiceProcess Registry { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Registry = ServiceProcess.Start("services/registry/Mlops.Registry", new Dictionary<string, string>
        {
            ["ConnectionStrings__registry"] = PlatformInfrastructure.ConnectionString("tests"),
            ["EventStore__Schema"] = _registrySchema,
            ["Registry__EndpointPrefix"] = _registryPrefix,
            ["Registry__TemporaryEndpoints"] = "true",
        });
        await Registry.WaitUntilReadyAsync();
        _ = Server;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Training:EndpointPrefix", PlatformInfrastructure.UniqueName("training-test"));
        builder.UseSetting("Training:TemporaryEndpoints", "true");
        builder.UseSetting("Training:RegistryBaseAddress", Registry.BaseAddress.ToString());
        // The sender must declare the registry's queue as the registry does (auto-delete), or the broker refuses it.
        builder.UseSetting("Training:RegistryAddress", $"queue:{_registryPrefix}-register-model-version?autodelete=true");
        builder.UseSetting("Training:MinRows", "50");
        builder.UseSetting("Training:SubgroupFeature", "ward");
        builder.UseSetting("Training:LatencySamples", "200");
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<ITrainingSetSource>(TrainingSets);
            services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        });
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Registry.DisposeAsync();
        await using var dataSource = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("tests"));
        await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{_registrySchema}\" CASCADE");
        await drop.ExecuteNonQueryAsync();
    }
}
