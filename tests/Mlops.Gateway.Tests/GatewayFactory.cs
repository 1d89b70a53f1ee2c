using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Gateway.Security;
using Mlops.Testing;

namespace Mlops.Gateway.Tests;

/// <summary>
/// The gateway as its Program composes it, with its shipped appsettings, against the real PostgreSQL (a fresh
/// database) and RabbitMQ (its own virtual host); only connection settings come from the test.
/// </summary>
public sealed class GatewayFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    string _database = null!;
    RabbitMqVirtualHost _virtualHost = null!;

    public async Task InitializeAsync()
    {
        _database = await PlatformInfrastructure.CreateDatabaseAsync("gateway_tests");
        _virtualHost = await RabbitMqVirtualHost.CreateAsync("gateway-tests");
        using var client = CreateClient();
        await Eventually.WaitUntilAsync(async () => (await client.GetAsync(ApiKeysApi.Path)).IsSuccessStatusCode, "the bootstrap admin key is accepted");
    }

    public string AdminKey { get; } = ApiKeySecret.Generate().Key;

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Add(ApiKeyAuthenticationHandler.Header, AdminKey);
    }

    /// <summary>This gateway with one setting changed (the fixture's database, virtual host and key stay).</summary>
    public WebApplicationFactory<Program> WithSetting(string key, string value) => WithWebHostBuilder(b => b.UseSetting(key, value));

    Dictionary<string, string?> Own() => new()
    {
        ["ConnectionStrings:gateway"] = _database,
        [RabbitMqVirtualHost.ConfigurationKey] = _virtualHost.Name,
        [ApiKeyOptions.BootstrapKeySetting] = AdminKey,
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Both as host settings and last in the app configuration. The gateway reads its connection string while
        // registering services, before app-configuration callbacks apply (with only the in-memory override every
        // gateway test ran on the shipped gateway database, whose experiments the shipped gateway then polled, run
        // after run); options bound later see the app configuration, where the platform's env file would win.
        foreach (var (key, value) in Own())
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureAppConfiguration(config =>
        {
            config.AddConfiguration(PlatformInfrastructure.Configuration);
            config.AddInMemoryCollection(Own());
        });
        builder.ConfigureServices(s => s.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true));
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        await _virtualHost.DisposeAsync();
    }
}
