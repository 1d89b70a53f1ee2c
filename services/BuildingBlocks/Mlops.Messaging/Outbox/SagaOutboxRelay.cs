using System.Diagnostics;
using MassTransit;
using MassTransit.Middleware;
using MassTransit.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mlops.Messaging.Sagas;
using Npgsql;

namespace Mlops.Messaging.Outbox;

/// <summary>
/// Delivers committed <c>saga_outbox</c> messages to the broker, one relay per process; replicas share the work through
/// row locks (<c>FOR UPDATE SKIP LOCKED</c> on each saga instance's oldest pending message), so each message is sent by
/// one relay and an instance's messages leave in the order it produced them. A message is marked delivered in the
/// transaction that claimed it, after the broker confirmed it; a relay dying in between leaves it pending, and the next
/// relay sends it again under the same MessageId, which consumers deduplicate on. A failed delivery (broker down,
/// timeout) is retried with exponential backoff capped at <see cref="SagaOutboxOptions.RetryMaxInterval"/>, never dropped.
/// It claims only messages addressed to its own bus's broker and virtual host.
/// </summary>
public sealed class SagaOutboxRelay(
    IServiceProvider services,
    IEnumerable<SagaOutboxSource> sources,
    SagaOutboxSignal signal,
    IOptions<SagaOutboxOptions> options,
    ILogger<SagaOutboxRelay> logger) : BackgroundService
{
    static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(10);

    readonly SagaOutboxOptions _options = options.Value;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var dataSources = sources.Select(s => s.Resolve(services)).Distinct().ToList();
        var bus = services.GetRequiredService<IBus>();
        var brokerScope = SagaOutboxStore.BrokerScopeOf(bus.Address);
        var failures = 0;
        var nextPurge = DateTime.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var delivered = 0;
                foreach (var dataSource in dataSources)
                {
                    delivered += await DeliverRoundAsync(dataSource, bus, brokerScope, stoppingToken);
                }

                failures = 0;
                if (DateTime.UtcNow >= nextPurge)
                {
                    foreach (var dataSource in dataSources)
                    {
                        await SagaOutboxStore.PurgeAsync(dataSource, _options.Retention, stoppingToken);
                    }

                    nextPurge = DateTime.UtcNow + PurgeInterval;
                }

                if (delivered == 0)
                {
                    await signal.WaitAsync(_options.PollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Broker or database unavailable: transient. Nothing was lost; the messages stay pending.
                failures++;
                var delay = Backoff(failures);
                logger.LogWarning(ex, "Saga outbox delivery failed ({Failures} in a row); retrying in {Delay}", failures, delay);
                try
                {
                    await Task.Delay(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    TimeSpan Backoff(int failures)
    {
        var factor = Math.Pow(2, Math.Min(failures - 1, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(_options.RetryMinInterval.Ticks * factor, _options.RetryMaxInterval.Ticks));
        return delay;
    }

    async Task<int> DeliverRoundAsync(NpgsqlDataSource dataSource, IBus bus, string brokerScope, CancellationToken cancellationToken)
    {
        await PostgresSagaSchema.EnsureAsync(dataSource, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var messages = await SagaOutboxStore.ClaimAsync(connection, transaction, _options.BatchSize, brokerScope, cancellationToken);
        var delivered = 0;
        foreach (var message in messages)
        {
            try
            {
                await DeliverAsync(bus, message, cancellationToken);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                SagaOutboxTelemetry.DeliveryFailures.Add(1);
                // Keep what was delivered in this round; this message waits out its own backoff (so one undeliverable
                // message holds back only its saga instance), and the loop backs off as a whole (the broker may be down).
                await SagaOutboxStore.MarkFailedAttemptAsync(connection, transaction, message.SequenceNumber, Backoff(message.Attempts + 1), cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                throw;
            }

            await SagaOutboxStore.MarkDeliveredAsync(connection, transaction, message.SequenceNumber, cancellationToken);
            delivered++;
        }

        await transaction.CommitAsync(cancellationToken);
        SagaOutboxTelemetry.Delivered.Add(delivered);
        return delivered;
    }

    async Task DeliverAsync(IBus bus, SagaOutboxMessage message, CancellationToken cancellationToken)
    {
        var destination = message.DestinationAddress ?? throw new InvalidOperationException($"Outbox message {message.MessageId} has no destination.");
        ActivityContext.TryParse(message.TraceParent, null, out var parent);
        using var activity = SagaOutboxTelemetry.Source.StartActivity("saga-outbox deliver", ActivityKind.Producer, parent);
        activity?.SetTag("messaging.message.id", message.MessageId.ToString());
        activity?.SetTag("messaging.destination.name", destination.AbsolutePath);
        activity?.SetTag("mlops.saga.type", message.SagaType);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.DeliveryTimeout);
        var endpoint = await bus.GetSendEndpoint(destination);
        // MassTransit's own outbox pipe: restores the stored body, headers, ids and transport properties on the send context.
        await endpoint.Send(new SerializedMessageBody(), new OutboxMessageSendPipe(message, destination), timeout.Token);
    }
}
