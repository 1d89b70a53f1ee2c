using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Mlops.EventStore.Outbox;

/// <summary>
/// Publishes outbox rows in global order and marks each dispatched only after the broker acknowledged it, in the
/// transaction that locked it. Rows exist only for committed appends, so nothing is published for an append that
/// rolled back, and a row left undispatched by a crash is published by the next dispatcher. One dispatcher per
/// schema is active at a time (transaction advisory lock), which keeps the order and prevents double sends.
/// Each row goes to every broker its type is registered for (<see cref="EventTypeRegistry.TransportsOf"/>); for a
/// row with several, the brokers that acknowledged are recorded, and when a send fails the acknowledged progress
/// is committed before the error surfaces, so a retry sends nothing twice.
/// </summary>
public sealed class OutboxDispatcher(
    NpgsqlDataSource dataSource,
    EventStoreSchema schema,
    EventTypeRegistry types,
    IServiceProvider services,
    EventStoreOptions options,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    /// <summary>Dispatches one batch; returns how many events were published (0 when idle or another dispatcher is active).</summary>
    public async Task<int> DispatchOnceAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var tryLock = new NpgsqlCommand(schema.TryLockDispatch, connection, transaction))
        {
            tryLock.Parameters.Add(new NpgsqlParameter { Value = schema.DispatchLockKey });
            if (await tryLock.ExecuteScalarAsync(cancellationToken) is not true)
            {
                return 0;
            }
        }

        var pending = new List<(Guid Id, string StreamId, string Type, string Data, OutboxTransports Done)>();
        await using (var read = new NpgsqlCommand(schema.ReadOutbox, connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = options.BatchSize });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                pending.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), (OutboxTransports)reader.GetInt32(4)));
            }
        }

        try
        {
            foreach (var (id, streamId, type, data, done) in pending)
            {
                using var activity = EventStoreTelemetry.Source.StartActivity("event_store outbox publish");
                activity?.SetTag("messaging.message.id", id);
                var (_, message) = types.Deserialize(type, data);
                var remaining = types.TransportsOf(message.GetType()) & ~done;
                foreach (var transport in Enum.GetValues<OutboxTransports>().Where(t => t != OutboxTransports.None && remaining.HasFlag(t)))
                {
                    await PublisherFor(transport).PublishAsync(id, streamId, message, cancellationToken);
                    EventStoreTelemetry.Dispatched.Add(1, new KeyValuePair<string, object?>("transport", transport.ToString()));
                    remaining &= ~transport;
                    if (remaining != OutboxTransports.None)
                    {
                        await using var markTransport = new NpgsqlCommand(schema.MarkTransportDispatched, connection, transaction);
                        markTransport.Parameters.Add(new NpgsqlParameter { Value = id });
                        markTransport.Parameters.Add(new NpgsqlParameter { Value = (int)transport });
                        await markTransport.ExecuteNonQueryAsync(cancellationToken);
                    }
                }

                await using var mark = new NpgsqlCommand(schema.MarkDispatched, connection, transaction);
                mark.Parameters.Add(new NpgsqlParameter { Value = id });
                await mark.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        catch
        {
            // What the brokers acknowledged is kept, so the retry resumes at the failed send instead of repeating
            // the ones before it. Order is preserved: the failed row stays first in line.
            await transaction.CommitAsync(CancellationToken.None);
            throw;
        }

        await transaction.CommitAsync(cancellationToken);
        return pending.Count;
    }

    /// <summary>The bus uses the unkeyed publisher (so an existing override keeps working), other brokers a keyed one.</summary>
    IOutboxPublisher PublisherFor(OutboxTransports transport) =>
        transport == OutboxTransports.Bus
            ? services.GetRequiredService<IOutboxPublisher>()
            : services.GetKeyedService<IOutboxPublisher>(transport)
                ?? throw new InvalidOperationException($"Events are registered for the {transport} outbox transport but no publisher for it was added (e.g. AddEventStoreKafkaOutbox).");

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.EnsureAsync(dataSource, stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await DispatchOnceAsync(stoppingToken) == 0)
                {
                    await Task.Delay(options.PollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Outbox dispatch failed; the undispatched rows stay and are retried.");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
