using System.Net.Http.Json;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Registry.Application;
using Mlops.ServiceDefaults;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Registry.Tests;

/// <summary>
/// The registry composed exactly as its Program does, on an in-memory HTTP server, against the real PostgreSQL
/// and RabbitMQ, with its own schema and its own RabbitMQ virtual host (the shipped queue names), so runs never collide.
/// </summary>
internal sealed class RegistryHost : IAsyncDisposable
{
    RegistryHost(WebApplication app, string schema, RabbitMqVirtualHost virtualHost, bool ownsVirtualHost)
    {
        App = app;
        Schema = schema;
        VirtualHost = virtualHost;
        _ownsVirtualHost = ownsVirtualHost;
        Client = app.GetTestClient();
    }

    readonly bool _ownsVirtualHost;

    public WebApplication App { get; }
    public string Schema { get; }
    public RabbitMqVirtualHost VirtualHost { get; }
    public HttpClient Client { get; }

    /// <summary>Leave the schema in place on dispose (a later host of the same test continues on it).</summary>
    public bool KeepSchema { get; init; }

    // In virtualHost when given (shared with the test's other hosts), else in one of its own.
    public static async Task<RegistryHost> StartAsync(string? schema = null, RabbitMqVirtualHost? virtualHost = null, bool publish = true, bool keepSchema = false, string? kafkaTopic = null,
        IDictionary<string, string?>? settings = null)
    {
        schema ??= PlatformInfrastructure.UniqueName("reg").Replace('-', '_');
        var owned = virtualHost is null;
        virtualHost ??= await RabbitMqVirtualHost.CreateAsync("registry-tests");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = "registry-tests", EnvironmentName = "Testing", ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddConfiguration(PlatformInfrastructure.Configuration);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:registry"] = PlatformInfrastructure.ConnectionString("tests"),
            ["EventStore:Schema"] = schema,
            [RabbitMqVirtualHost.ConfigurationKey] = virtualHost.Name,
            // Off = a registry that commits but never publishes, as if it crashed right after each commit.
            ["EventStore:Publish"] = publish ? "true" : "false",
            // Kafka is opt-in per deployment (the shipped registry publishes to the bus only).
            ["EventStore:Kafka:Topic"] = kafkaTopic,
        });
        if (settings is not null)
        {
            // Addresses of other services the test stands up (connection settings only).
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.WebHost.UseTestServer();
        builder.AddServiceDefaults();
        builder.AddRegistryServices();
        builder.Services.AddSingleton(TestHost.SharedLoggerFactory);
        builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapRegistryServices();
        await app.StartAsync();
        return new RegistryHost(app, schema, virtualHost, owned) { KeepSchema = keepSchema };
    }

    public async Task<T> GetAsync<T>(string path) =>
        (await Client.GetFromJsonAsync<T>(path, Json.Options)) ?? throw new InvalidOperationException(path + " returned null");

    public ModelRegistry Registry => App.Services.GetRequiredService<ModelRegistry>();

    public async Task<long> ScalarAsync(string sql, params object[] values)
    {
        await using var command = App.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        if (_ownsVirtualHost)
        {
            await VirtualHost.DisposeAsync();
        }

        if (KeepSchema)
        {
            return;
        }

        await using var dataSource = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("tests"));
        // The schema name was generated above (letters, digits, underscore).
        await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE");
        await drop.ExecuteNonQueryAsync();
    }
}

internal static class Json
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerDefaults.Web);
}
