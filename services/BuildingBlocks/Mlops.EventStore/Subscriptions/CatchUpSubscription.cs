using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Mlops.EventStore.Subscriptions;

/// <summary>
/// Runs one <see cref="IEventSubscriber"/>: reads after the stored checkpoint in global order, hands each batch
/// over, and stores the last position handled in the same transaction. Appends are serialised per schema (see
/// <see cref="PostgresEventStore"/>), so reading "after position N" can never skip a late-committing event.
/// </summary>
public sealed class CatchUpSubscription<TSubscriber>(
    TSubscriber subscriber,
    NpgsqlDataSource dataSource,
    EventStoreSchema schema,
    PostgresEventStore store,
    EventStoreOptions options,
    ILogger<CatchUpSubscription<TSubscriber>> logger) : BackgroundService
    where TSubscriber : IEventSubscriber
{
    /// <summary>Handles one batch if there is one; returns how many events were handled.</summary>
    public async Task<int> PollOnceAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        long checkpoint;
        await using (var read = new NpgsqlCommand(schema.ReadCheckpoint, connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = subscriber.SubscriptionName });
            checkpoint = await read.ExecuteScalarAsync(cancellationToken) is long stored ? stored : 0;
        }

        await using var select = new NpgsqlCommand(schema.ReadAll, connection, transaction);
        select.Parameters.Add(new NpgsqlParameter { Value = checkpoint });
        select.Parameters.Add(new NpgsqlParameter { Value = options.BatchSize });
        var events = await store.ReadEventsAsync(select, cancellationToken);
        if (events.Count == 0)
        {
            return 0;
        }

        using (var activity = EventStoreTelemetry.Source.StartActivity("event_store subscription " + subscriber.SubscriptionName))
        {
            activity?.SetTag("mlops.events", events.Count);
            await subscriber.HandleAsync(events, connection, transaction, cancellationToken);
        }

        await using (var write = new NpgsqlCommand(schema.WriteCheckpoint, connection, transaction))
        {
            write.Parameters.Add(new NpgsqlParameter { Value = subscriber.SubscriptionName });
            write.Parameters.Add(new NpgsqlParameter { Value = events[^1].Position });
            await write.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        EventStoreTelemetry.Handled.Add(events.Count);
        return events.Count;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.EnsureAsync(dataSource, stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await PollOnceAsync(stoppingToken) == 0)
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
                logger.LogError(ex, "Subscription {Subscription} failed; retrying from its checkpoint.", subscriber.SubscriptionName);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
