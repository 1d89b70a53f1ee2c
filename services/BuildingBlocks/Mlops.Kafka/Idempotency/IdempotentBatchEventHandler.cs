using Mlops.Kafka.Consuming;
using Npgsql;

namespace Mlops.Kafka.Idempotency;

/// <summary>
/// Base for batch handlers whose effects live in the service's PostgreSQL database: the batch's event ids are
/// recorded in the inbox in the same transaction as the effects, and only events not seen before are applied.
/// </summary>
public abstract class IdempotentBatchEventHandler<T>(KafkaInbox inbox) : IKafkaBatchEventHandler<T>
{
    /// <inheritdoc />
    public async Task HandleBatchAsync(IReadOnlyList<KafkaRecord<T>> records, CancellationToken cancellationToken)
    {
        // A batch may repeat an id (the producer retried); the first occurrence is the one applied.
        var unique = records.GroupBy(r => r.Envelope.Id, StringComparer.Ordinal).Select(g => g.First()).ToList();
        var fresh = await inbox.ApplyManyOnceAsync(
            records[0].Context.ConsumerGroup,
            unique.Select(r => (r.Envelope.Id, r.Context.Topic)).ToList(),
            (connection, transaction, ids) => ApplyAsync(unique.Where(r => ids.Contains(r.Envelope.Id)).ToList(), connection, transaction, cancellationToken),
            cancellationToken);

        var duplicates = records.Count - fresh.Count;
        if (duplicates > 0)
        {
            KafkaTelemetry.Duplicates.Add(duplicates, new KeyValuePair<string, object?>("messaging.destination.name", records[0].Context.Topic));
        }

        if (fresh.Count > 0)
        {
            await OnCommittedAsync(cancellationToken);
        }
    }

    /// <summary>Applies the new records with the given connection and transaction (committed with the inbox marks).</summary>
    protected abstract Task ApplyAsync(IReadOnlyList<KafkaRecord<T>> records, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken);

    /// <summary>Called after the effects committed, for side effects that must follow the commit (e.g. caches).</summary>
    protected virtual Task OnCommittedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
