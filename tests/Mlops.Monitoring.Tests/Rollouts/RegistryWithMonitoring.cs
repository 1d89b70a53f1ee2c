using Mlops.Testing;
using Npgsql;

namespace Mlops.Monitoring.Tests.Rollouts;

/// <summary>
/// The real registry as its own process (shipped configuration, an event-store schema of its own) beside monitoring in
/// process (<see cref="MonitoringAppFactory"/>, served on a loopback port so the registry can call it), in one RabbitMQ
/// virtual host: the registry's <c>ModelVersionRegistered</c> reaches monitoring, which copies the version's profile
/// from the training stand-in. The registry's rollout analyses read monitoring's variant view
/// (<c>Registry:Rollouts:MonitoringAddress</c>) and a healthy inference <c>/metrics</c> stand-in
/// (<c>Registry:Rollouts:InferenceAddresses</c>) — both addresses, connection settings only.
/// </summary>
public sealed class RegistryWithMonitoring : IAsyncLifetime
{
    readonly string _schema = PlatformInfrastructure.UniqueName("gatereg").Replace('-', '_');

    public MonitoringAppFactory Monitoring { get; } = new();

    public ServiceProcess Registry { get; private set; } = null!;

    internal InferenceMetricsStandIn Inference { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var monitoring = Monitoring.ListenOnLoopback();
        await Monitoring.PrepareAsync();
        Inference = await InferenceMetricsStandIn.StartAsync();
        Registry = ServiceProcess.Start("services/registry/Mlops.Registry", new Dictionary<string, string>
        {
            ["ConnectionStrings__registry"] = PlatformInfrastructure.ConnectionString("tests"),
            ["EventStore__Schema"] = _schema,
            [RabbitMqVirtualHost.EnvironmentVariable] = Monitoring.VirtualHost.Name,
            ["Registry__Rollouts__MonitoringAddress"] = monitoring.ToString(),
            ["Registry__Rollouts__InferenceAddresses__0"] = Inference.Address.ToString(),
        });
        await Monitoring.StartServerAsync();
        await Registry.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync()
    {
        await Registry.DisposeAsync();
        await Inference.DisposeAsync();
        await ((IAsyncLifetime)Monitoring).DisposeAsync();
        await using var dataSource = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("tests"));
        // The schema name was generated above (letters, digits, underscore).
        await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");
        await drop.ExecuteNonQueryAsync();
    }
}
