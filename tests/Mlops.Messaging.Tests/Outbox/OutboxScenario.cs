using System.Diagnostics;
using MassTransit;
using Mlops.Messaging.CrashingSaga;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Messaging.Sagas;
using Mlops.Testing;
using Npgsql;

namespace Mlops.Messaging.Tests.Outbox;

/// <summary>
/// One outbox test's world: a RabbitMQ virtual host and a PostgreSQL database of its own (connection settings only — queue
/// and saga names are the ones below in every test), a downstream consumer that deduplicates on MessageId, and saga hosts
/// (replicas) each with the outbox relay the repository registration brings.
/// </summary>
internal sealed class OutboxScenario : IAsyncDisposable
{
    public const string SagaType = OutboxRunHost.SagaType;
    const string ConsumerQueue = "outbox-run-steps";

    readonly RabbitMqVirtualHost _virtualHost;

    OutboxScenario(RabbitMqVirtualHost virtualHost, string connectionString)
    {
        _virtualHost = virtualHost;
        Connection = new Dictionary<string, string?>
        {
            [RabbitMqVirtualHost.ConfigurationKey] = virtualHost.Name,
            ["ConnectionStrings:tests"] = connectionString,
        };
        Database = NpgsqlDataSource.Create(connectionString);
    }

    public IDictionary<string, string?> Connection { get; }

    public NpgsqlDataSource Database { get; }

    public DeliveryLedger Ledger { get; } = new();

    public static async Task<OutboxScenario> CreateAsync()
    {
        var virtualHost = await RabbitMqVirtualHost.CreateAsync("outbox");
        var scenario = new OutboxScenario(virtualHost, await PlatformInfrastructure.CreateDatabaseAsync("outbox"));
        await PostgresSagaSchema.EnsureAsync(scenario.Database, CancellationToken.None);
        return scenario;
    }

    /// <summary>The downstream consumer; started first so its queue is bound before the saga publishes.</summary>
    public Task<IHost> StartConsumerAsync() =>
        MessagingHosts.StartAsync(
            bus => bus.AddConsumer<OutboxRunStepRequestedConsumer>().Endpoint(e =>
            {
                e.Name = ConsumerQueue;
                // One at a time: arrival order is the order the relay delivered in.
                e.ConcurrentMessageLimit = 1;
            }),
            Connection,
            services => services.AddSingleton(Ledger));

    /// <summary>A saga host (replica) with the shipped repository registration: outbox on by default.</summary>
    public Task<IHost> StartSagaHostAsync() =>
        MessagingHosts.StartAsync(bus => bus.AddOutboxRunSaga(), Connection);

    /// <summary>
    /// The same saga host as a separate process (tests/Mlops.Messaging.CrashingSaga), for killing with SIGKILL. Connection
    /// settings go on its command line.
    /// </summary>
    public Process StartSagaProcess()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { typeof(OutboxRunHost).Assembly.Location },
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in Connection)
        {
            start.ArgumentList.Add("--" + key);
            start.ArgumentList.Add(value ?? "");
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the saga process");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Sends straight to the saga's queue (declaring it), so the message waits there until a saga process is up.</summary>
    public static async Task SendToSagaAsync<T>(IHost host, T message)
        where T : class
    {
        var endpoint = await host.Services.GetRequiredService<IBus>().GetSendEndpoint(new Uri("queue:" + OutboxRunHost.SagaQueue));
        await endpoint.Send(message);
    }

    public async Task<StoredRun?> LoadRunAsync(Guid runId)
    {
        await using var command = Database.CreateCommand("SELECT current_state, version, data::text FROM saga_instances WHERE saga_type = $1 AND correlation_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = SagaType });
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return null;
        }

        return new StoredRun(reader.GetString(0), reader.GetInt32(1), System.Text.Json.JsonSerializer.Deserialize<OutboxRunState>(reader.GetString(2))!);
    }

    /// <summary>The run's outbox rows in delivery order.</summary>
    public async Task<List<OutboxRow>> OutboxRowsAsync(Guid runId)
    {
        await using var command = Database.CreateCommand(
            "SELECT message_id, delivered_at IS NOT NULL FROM saga_outbox WHERE saga_type = $1 AND order_key = $2 ORDER BY sequence_number");
        command.Parameters.Add(new NpgsqlParameter { Value = SagaType });
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<OutboxRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new OutboxRow(reader.GetGuid(0), reader.GetBoolean(1)));
        }

        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        await _virtualHost.DisposeAsync();
    }

    public sealed record StoredRun(string CurrentState, int Version, OutboxRunState State);

    public sealed record OutboxRow(Guid MessageId, bool Delivered);
}
