using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Kafka;
using Mlops.Testing;

namespace Mlops.Monitoring.Tests;

/// <summary>
/// The monitoring service in process with its shipped configuration, against the real PostgreSQL (a database of its own),
/// RabbitMQ (a virtual host of its own) and Kafka (topics and consumer groups of its own). The training service it reads
/// profiles from is <see cref="Training"/>, a stand-in at the configured base address; the registry and ingestion the
/// retraining saga calls are <see cref="Registry"/>.
/// </summary>
public sealed class MonitoringAppFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public MonitoringAppFactory() => _ = PlatformInfrastructure.Configuration;

    public string FeaturesTopic { get; } = PlatformInfrastructure.UniqueName("features-mon");

    public string PredictionsTopic { get; } = PlatformInfrastructure.UniqueName("predictions-mon");

    public string LabelsTopic { get; } = PlatformInfrastructure.UniqueName("labels-mon");

    public string ConsumerGroup { get; } = PlatformInfrastructure.UniqueName("monitoring-test");

    public TrainingStandIn Training { get; private set; } = null!;

    /// <summary>The registry and ingestion the retraining saga calls.</summary>
    public RegistryStandIn Registry { get; private set; } = null!;

    public RabbitMqVirtualHost VirtualHost { get; private set; } = null!;

    /// <summary>A plain host with the platform's Kafka producer, for producing what upstream services would.</summary>
    public IHost Upstream { get; private set; } = null!;

    /// <summary>
    /// The inference pod whose <c>/metrics</c> the SLOs read, when a test starts one (set before the server starts); else
    /// the shipped address.
    /// </summary>
    public Uri? InferenceBaseAddress { get; set; }

    /// <summary>
    /// Settings over the shipped ones that a test's scenario needs (a model's own drift windows, say); set before the
    /// server starts.
    /// </summary>
    public Dictionary<string, string?> Settings { get; } = [];

    /// <summary>Monitoring's database, for reading what it stored.</summary>
    public string ConnectionString => _connectionString;

    string _connectionString = "";

    public async Task InitializeAsync()
    {
        await PrepareAsync();
        await StartServerAsync();
    }

    /// <summary>Creates the database, virtual host, stand-ins and topics, without starting the service yet.</summary>
    public async Task PrepareAsync()
    {
        _connectionString = await PlatformInfrastructure.CreateDatabaseAsync("monitoring_test");
        VirtualHost = await RabbitMqVirtualHost.CreateAsync("monitoring-tests");
        Training = await TrainingStandIn.StartAsync();
        Registry = await RegistryStandIn.StartAsync();
        var builder = TestHost.CreateBuilder("monitoring-tests-upstream");
        builder.AddPlatformKafka();
        Upstream = builder.Build();
        // The topics exist before the consumers subscribe, so nothing produced by a test is missed.
        await Upstream.Services.GetRequiredService<KafkaTopicAdmin>().EnsureTopicsAsync([FeaturesTopic, PredictionsTopic, LabelsTopic]);
        await Upstream.StartAsync();
    }

    /// <summary>
    /// Where the service listens on a real loopback port when <see cref="ListenOnLoopback"/> was called (another process
    /// calls it there); else null, and only the in-memory clients reach it.
    /// </summary>
    public Uri? LoopbackAddress { get; private set; }

    /// <summary>Serves on a free loopback port (Kestrel) instead of in memory; call before the server starts.</summary>
    public Uri ListenOnLoopback()
    {
        var port = ServiceProcess.FreePort();
        UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, port));
        return LoopbackAddress = new Uri($"http://127.0.0.1:{port}/");
    }

    /// <summary>Starts the service (its consumers subscribe to the topics <see cref="PrepareAsync"/> created).</summary>
    public Task StartServerAsync()
    {
        StartServer();
        return Task.CompletedTask;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Connection settings and isolation only: the database, the virtual host, where training listens, own topics and groups.
        builder.UseSetting("ConnectionStrings:monitoring", _connectionString);
        builder.UseSetting(RabbitMqVirtualHost.ConfigurationKey, VirtualHost.Name);
        builder.UseSetting("Monitoring:TrainingBaseAddress", Training.BaseAddress.ToString());
        builder.UseSetting("Monitoring:Retraining:RegistryBaseAddress", Registry.BaseAddress.ToString());
        builder.UseSetting("Monitoring:Retraining:IngestionBaseAddress", Registry.BaseAddress.ToString());
        builder.UseSetting("Monitoring:FeaturesTopic", FeaturesTopic);
        builder.UseSetting("Monitoring:PredictionsTopic", PredictionsTopic);
        builder.UseSetting("Monitoring:LabelsTopic", LabelsTopic);
        builder.UseSetting("Monitoring:ConsumerGroup", ConsumerGroup);
        if (InferenceBaseAddress is { } inference)
        {
            builder.UseSetting("Monitoring:InferenceBaseAddresses:0", inference.ToString());
        }

        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services => services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true));
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Upstream.StopAsync();
        Upstream.Dispose();
        await Training.DisposeAsync();
        await Registry.DisposeAsync();
        await VirtualHost.DisposeAsync();
    }
}
