using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
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

    /// <summary>
    /// Holds back delivery of a run's messages for real: an older pending message of the same run, locked by the test, is
    /// ahead of them, and the relay delivers a run's messages strictly in order. Disposing removes it and lets them go.
    /// </summary>
    public async Task<IAsyncDisposable> HoldBackRunAsync(Guid runId)
    {
        var connection = await Database.OpenConnectionAsync();
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO saga_outbox (message_id, saga_type, order_key, destination_address, content_type, message_type, body, sent_time)
            VALUES ($1, $2, $3, 'exchange:outbox-blocker', 'application/json', '', '{}', now())
            """, connection))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = NewId.NextGuid() });
            insert.Parameters.Add(new NpgsqlParameter { Value = SagaType });
            insert.Parameters.Add(new NpgsqlParameter { Value = runId });
            await insert.ExecuteNonQueryAsync();
        }

        var hold = await connection.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand(
            "SELECT 1 FROM saga_outbox WHERE order_key = $1 AND destination_address = 'exchange:outbox-blocker' FOR UPDATE", connection, hold))
        {
            lockRow.Parameters.Add(new NpgsqlParameter { Value = runId });
            await lockRow.ExecuteScalarAsync();
        }

        return new HeldBack(connection, hold, runId);
    }

    /// <summary>Withdraws or restores the platform user's write permission on the test's virtual host (management API).</summary>
    public async Task SetBrokerWritesAsync(bool allowed)
    {
        var configuration = PlatformInfrastructure.Configuration;
        var user = configuration["RabbitMq:Username"] ?? throw new InvalidOperationException("RabbitMq:Username is missing.");
        var password = configuration["RabbitMq:Password"] ?? throw new InvalidOperationException("RabbitMq:Password is missing.");
        var url = configuration["RabbitMq:ManagementUrl"] ?? throw new InvalidOperationException("RabbitMq:ManagementUrl is missing.");
        using var management = new HttpClient { BaseAddress = new Uri(url.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        var response = await management.PutAsJsonAsync(
            $"api/permissions/{Uri.EscapeDataString(_virtualHost.Name)}/{Uri.EscapeDataString(user)}",
            new { configure = ".*", write = allowed ? ".*" : "^$", read = ".*" });
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Failed delivery attempts recorded on the run's outbox rows.</summary>
    public async Task<int> DeliveryAttemptsAsync(Guid runId)
    {
        await using var command = Database.CreateCommand("SELECT coalesce(sum(attempts), 0)::int FROM saga_outbox WHERE order_key = $1 AND delivered_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        return (int)(await command.ExecuteScalarAsync())!;
    }

    sealed class HeldBack(NpgsqlConnection connection, NpgsqlTransaction hold, Guid runId) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using (var release = new NpgsqlCommand("DELETE FROM saga_outbox WHERE order_key = $1 AND destination_address = 'exchange:outbox-blocker'", connection, hold))
            {
                release.Parameters.Add(new NpgsqlParameter { Value = runId });
                await release.ExecuteNonQueryAsync();
            }

            await hold.CommitAsync();
            await hold.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        await _virtualHost.DisposeAsync();
    }

    public sealed record StoredRun(string CurrentState, int Version, OutboxRunState State);

    public sealed record OutboxRow(Guid MessageId, bool Delivered);
}
