using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Gateway.Routing;
using Mlops.Gateway.Security;
using Mlops.Testing;

namespace Mlops.Gateway.Tests;

/// <summary>
/// The gateway in process with its shipped configuration; only connection settings differ: the inference cluster's
/// address (a stand-in pod), the registry's, and a RabbitMQ virtual host of the test's own.
/// </summary>
public sealed class GatewayAppFactory(Uri inference, Uri registry, string virtualHost, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        _ = PlatformInfrastructure.Configuration;
        builder.UseEnvironment("Testing");
        builder.UseSetting("ReverseProxy:Clusters:inference:Destinations:primary:Address", inference.ToString());
        builder.UseSetting("Gateway:Variants:RegistryBaseAddress", registry.ToString());
        builder.UseSetting(RabbitMqVirtualHost.ConfigurationKey, virtualHost);
        // Every route needs a key; the gateway records this bootstrap admin key at start, as it does MLOPS_API_KEY.
        builder.UseSetting(ApiKeyOptions.BootstrapKeySetting, AdminKey);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
    }

    public string AdminKey { get; } = ApiKeySecret.Generate().Key;

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Add(ApiKeyAuthenticationHandler.Header, AdminKey);
    }

    /// <summary>A client once the bootstrap key is recorded (the registrar runs in the background at start).</summary>
    public async Task<HttpClient> KeyedClientAsync()
    {
        var client = CreateClient();
        await Eventually.WaitUntilAsync(async () => (await client.GetAsync(ApiKeysApi.Path)).IsSuccessStatusCode, "the bootstrap admin key is accepted");
        return client;
    }

    public DeploymentTable Table => Services.GetRequiredService<DeploymentTable>();

    /// <summary>A client once the registry's deployments are read and the deployment queue is bound.</summary>
    public async Task<HttpClient> ReadyClientAsync()
    {
        var client = await KeyedClientAsync();
        await Eventually.WaitUntilAsync(async () => await CheckAsync(client, "registry-deployments") == "Healthy", "the gateway read the registry's deployments");
        var bus = Services.GetRequiredService<IBusControl>();
        await Eventually.WaitUntilAsync(() => bus.CheckHealth().Status == BusHealthStatus.Healthy, "the bus and the deployment endpoint are up");
        return client;
    }

    public static async Task<string?> CheckAsync(HttpClient client, string check)
    {
        using var response = await client.GetAsync("/health/ready");
        var report = await response.Content.ReadFromJsonAsync<JsonElement>();
        return report.GetProperty("checks").TryGetProperty(check, out var entry) ? entry.GetProperty("status").GetString() : null;
    }
}
