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

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration(config =>
        {
            config.AddConfiguration(PlatformInfrastructure.Configuration);
            config.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:gateway"] = _database,
                [RabbitMqVirtualHost.ConfigurationKey] = _virtualHost.Name,
                [ApiKeyOptions.BootstrapKeySetting] = AdminKey,
            });
        });
        builder.ConfigureServices(s => s.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true));
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        await _virtualHost.DisposeAsync();
    }
}
