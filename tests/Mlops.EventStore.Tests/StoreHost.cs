using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.EventStore.Kafka;
using Mlops.EventStore.Projections;
using Mlops.Messaging;
using Mlops.ServiceDefaults;
using Mlops.Testing;
using Npgsql;

namespace Mlops.EventStore.Tests;

/// <summary>Hosts wired like a service against the real PostgreSQL (and RabbitMQ when messaging is on), one schema per test.</summary>
internal static class StoreHost
{
    public static string NewSchema() => PlatformInfrastructure.UniqueName("es").Replace('-', '_');

    public static void RegisterTestTypes(EventTypeRegistry types) => types
        .Register<ThingHappened>(publish: true)
        .Register<ThingRenamed>();

    public static async Task<IHost> StartAsync(
        string schema,
        Action<EventTypeRegistry>? types = null,
        Action<IServiceCollection>? services = null,
        Action<IBusRegistrationConfigurator>? bus = null,
        bool dispatch = false,
        Action<KafkaOutboxOptions>? kafka = null)
    {
        var builder = TestHost.CreateBuilder("event-store-tests");
        builder.AddPlatformPostgres("tests");
        // The bus first: hosted services start in registration order, and a dispatcher that started before the
        // test's queue was bound would publish into an exchange nobody listens to yet.
        if (bus is not null)
        {
            builder.AddPlatformMessaging(bus);
            builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        }

        builder.AddEventStore(types ?? RegisterTestTypes, o =>
        {
            o.Schema = schema;
            o.DispatchOutbox = dispatch;
            o.PollInterval = TimeSpan.FromMilliseconds(50);
        });
        if (kafka is not null)
        {
            builder.AddEventStoreKafkaOutbox(kafka);
        }

        services?.Invoke(builder.Services);

        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public static async Task DropSchemaAsync(string schema)
    {
        await using var dataSource = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("tests"));
        // The name comes from NewSchema (letters, digits, underscore), never from outside input.
        await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        await drop.ExecuteNonQueryAsync();
    }

    public static async Task<long> ScalarAsync(IHost host, string sql, params object[] values)
    {
        await using var command = host.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}

/// <summary>Counts events per stream in a table of its own, inside the append's transaction; can be told to fail or to wait.</summary>
internal sealed class CountingProjection(EventStoreSchema schema) : IInlineProjection
{
    public volatile bool Fail;
    public TaskCompletionSource? Entered;
    public Task? Gate;

    public async Task EnsureSchemaAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS " + Table(connection) + " (stream_id text PRIMARY KEY, events bigint NOT NULL)", connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken)
    {
        await using var upsert = new NpgsqlCommand(
            "INSERT INTO " + Table(connection) + " (stream_id, events) VALUES ($1, $2) ON CONFLICT (stream_id) DO UPDATE SET events = " + Table(connection) + ".events + excluded.events",
            connection, transaction);
        upsert.Parameters.Add(new NpgsqlParameter { Value = events[0].StreamId });
        upsert.Parameters.Add(new NpgsqlParameter { Value = (long)events.Count });
        await upsert.ExecuteNonQueryAsync(cancellationToken);
        if (Gate is { } gate && events[0].StreamId.StartsWith("held-", StringComparison.Ordinal))
        {
            Entered?.TrySetResult();
            await gate;
        }

        if (Fail)
        {
            throw new InvalidOperationException("projection refused");
        }
    }

    string Table(NpgsqlConnection _) => "\"" + schema.Name + "\".stream_counts";
}
