using Mlops.Contracts.Kafka;
using Mlops.Kafka.Consuming;
using Npgsql;

namespace Mlops.Kafka.Idempotency;

/// <summary>
/// Base for handlers whose effects live in the service's PostgreSQL database: each event id is applied
/// at most once per consumer group, whatever Kafka redelivers.
/// </summary>
public abstract class IdempotentEventHandler<T>(KafkaInbox inbox) : IKafkaEventHandler<T>
{
    /// <inheritdoc />
    public async Task HandleAsync(EventEnvelope<T> envelope, KafkaMessageContext context, CancellationToken cancellationToken)
    {
        var applied = await inbox.ApplyOnceAsync(
            context.ConsumerGroup,
            envelope.Id,
            context.Topic,
            (connection, transaction) => ApplyAsync(envelope, context, connection, transaction, cancellationToken),
            cancellationToken);
        if (applied)
        {
            await OnCommittedAsync(envelope, context, cancellationToken);
        }
        else
        {
            KafkaTelemetry.Duplicates.Add(1, new KeyValuePair<string, object?>("messaging.destination.name", context.Topic));
            await OnDuplicateAsync(envelope, context, cancellationToken);
        }
    }

    /// <summary>Applies the event using the given connection and transaction, which commit together with the inbox mark.</summary>
    protected abstract Task ApplyAsync(
        EventEnvelope<T> envelope, KafkaMessageContext context, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken);

    /// <summary>Called after the event's effects committed, for side effects that must follow the commit (e.g. caches).</summary>
    protected virtual Task OnCommittedAsync(EventEnvelope<T> envelope, KafkaMessageContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Called for a redelivered event that was already applied. Does nothing by default.</summary>
    protected virtual Task OnDuplicateAsync(EventEnvelope<T> envelope, KafkaMessageContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}
