using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;

namespace Mlops.Testing;

/// <summary>
/// A RabbitMQ virtual host of its own for a test host (or a group of hosts that talk to each other), created through
/// the management API and deleted with everything in it on dispose. Services keep their shipped queue names; only the
/// connection setting <c>RabbitMq:VirtualHost</c> differs, so concurrent tests never see each other's messages.
/// </summary>
public sealed class RabbitMqVirtualHost : IAsyncDisposable
{
    readonly HttpClient _management;

    RabbitMqVirtualHost(HttpClient management, string name)
    {
        _management = management;
        Name = name;
    }

    /// <summary>The virtual host's name.</summary>
    public string Name { get; }

    /// <summary>The configuration key services read it from (<c>RabbitMq:VirtualHost</c>).</summary>
    public const string ConfigurationKey = "RabbitMq:VirtualHost";

    /// <summary>The same key as an environment variable, for service processes.</summary>
    public const string EnvironmentVariable = "RabbitMq__VirtualHost";

    /// <summary>Creates a fresh virtual host and grants the platform's user every permission on it.</summary>
    public static async Task<RabbitMqVirtualHost> CreateAsync(string prefix)
    {
        var configuration = PlatformInfrastructure.Configuration;
        var url = configuration["RabbitMq:ManagementUrl"]
            ?? throw new InvalidOperationException("RabbitMq:ManagementUrl is missing from the platform env file (the management plugin is needed for test virtual hosts).");
        var user = configuration["RabbitMq:Username"] ?? throw new InvalidOperationException("RabbitMq:Username is missing.");
        var password = configuration["RabbitMq:Password"] ?? throw new InvalidOperationException("RabbitMq:Password is missing.");
        var management = new HttpClient { BaseAddress = new Uri(url.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

        var name = PlatformInfrastructure.UniqueName(prefix);
        var vhost = new RabbitMqVirtualHost(management, name);
        (await management.PutAsJsonAsync($"api/vhosts/{Uri.EscapeDataString(name)}", new { description = "test virtual host" })).EnsureSuccessStatusCode();
        (await management.PutAsJsonAsync($"api/permissions/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(user)}",
            new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
        return vhost;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using (_management)
        {
            var response = await _management.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(Name)}");
            if (response.StatusCode != HttpStatusCode.NotFound)
            {
                response.EnsureSuccessStatusCode();
            }
        }
    }
}
