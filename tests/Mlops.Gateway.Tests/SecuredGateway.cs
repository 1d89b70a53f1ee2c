using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Gateway.Security;
using Mlops.Testing;

namespace Mlops.Gateway.Tests;

/// <summary>
/// The gateway in process with its shipped appsettings.json (routes, policies, limits), its own fresh database and
/// RabbitMQ virtual host, every cluster pointed at one <see cref="TestUpstream"/>, and a bootstrap admin key of its own.
/// </summary>
public sealed class SecuredGateway : IAsyncLifetime
{
    static readonly string[] Clusters = ["ingestion", "features", "training", "registry", "inference", "monitoring"];

    readonly Dictionary<string, string?> _extra;
    readonly Dictionary<string, string> _roleKeys = new(StringComparer.Ordinal);
    Factory _factory = null!;
    RabbitMqVirtualHost _vhost = null!;

    readonly bool _roleKeysAtStart;

    public SecuredGateway() : this(new Dictionary<string, string?>(), roleKeysAtStart: true)
    {
    }

    /// <param name="extra">Settings on top of the shipped ones (a test of the limiter sets its own limits).</param>
    /// <param name="roleKeysAtStart">Whether to create one key per role through the API at start.</param>
    internal SecuredGateway(Dictionary<string, string?> extra, bool roleKeysAtStart)
    {
        _extra = extra;
        _roleKeysAtStart = roleKeysAtStart;
    }

    public TestUpstream Upstream { get; private set; } = null!;

    /// <summary>The database the gateway keeps its keys in.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>The bootstrap admin key (as MLOPS_API_KEY would carry it).</summary>
    public string AdminKey { get; } = ApiKeySecret.Generate().Key;

    public async Task InitializeAsync()
    {
        Upstream = await TestUpstream.StartAsync();
        ConnectionString = await PlatformInfrastructure.CreateDatabaseAsync("gateway_test");
        _vhost = await RabbitMqVirtualHost.CreateAsync("gateway-test");
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:gateway"] = ConnectionString,
            [RabbitMqVirtualHost.ConfigurationKey] = _vhost.Name,
            [ApiKeyOptions.BootstrapKeySetting] = AdminKey,
        };
        foreach (var cluster in Clusters)
        {
            settings[$"ReverseProxy:Clusters:{cluster}:Destinations:primary:Address"] = Upstream.BaseAddress.ToString();
        }

        foreach (var (key, value) in _extra)
        {
            settings[key] = value;
        }

        _factory = new Factory(settings);
        // The bootstrap key is recorded in the background at start; wait until it works.
        using var admin = Client(AdminKey);
        await Eventually.WaitUntilAsync(async () => (await admin.GetAsync(ApiKeysApi.Path)).IsSuccessStatusCode, "the bootstrap admin key is accepted");
        foreach (var role in _roleKeysAtStart ? Roles.All : [])
        {
            _roleKeys[role] = (await CreateKeyAsync($"{role} only", role)).Key;
        }
    }

    /// <summary>A client sending <paramref name="apiKey"/> as <c>X-Api-Key</c> (none when null).</summary>
    public HttpClient Client(string? apiKey = null)
    {
        var client = _factory.CreateClient();
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    /// <summary>Creates a key through the management API with the admin key; returns its id and secret text.</summary>
    public async Task<(string Id, string Key)> CreateKeyAsync(string name, params string[] roles)
    {
        using var admin = Client(AdminKey);
        using var response = await admin.PostAsJsonAsync(ApiKeysApi.Path, new { name, roles });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("id").GetString()!, body.GetProperty("key").GetString()!);
    }

    /// <summary>Stores a key straight in the gateway's database (not through the API, whose requests would be counted).</summary>
    public async Task<(string Id, string Key)> SeedKeyAsync(string name, params string[] roles)
    {
        var (id, key) = ApiKeySecret.Generate();
        ApiKeySecret.TryParse(key, out _, out var secret);
        var store = _factory.Services.GetRequiredService<ApiKeyStore>();
        Assert.True(await store.TryInsertAsync(new ApiKeyRecord(id, name, roles, ApiKeySecret.Hash(secret!), DateTimeOffset.UtcNow, "test", null), CancellationToken.None));
        return (id, key);
    }

    /// <summary>A key holding only <paramref name="role"/>, created at start.</summary>
    public string KeyForRole(string role) => _roleKeys[role];

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await Upstream.DisposeAsync();
        await _vhost.DisposeAsync();
    }

    sealed class Factory(Dictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }
}
