using System.Diagnostics;
using Mlops.Kafka.Consuming;
using Npgsql;

namespace Mlops.Kafka.Idempotency;

/// <summary>
/// Base for batch handlers whose effects are one SQL statement in the service's PostgreSQL database. The inbox marks and
/// the effects of a partition's records travel as one statement: one round trip, atomic (a statement is its own
/// transaction), where marking, applying and committing separately took three. The effects see the ids not seen before
/// as the CTE <c>fresh(event_id)</c> and apply only those, so a redelivered record changes nothing.
/// </summary>
public abstract class SingleStatementBatchEventHandler<T>(KafkaInbox inbox) : IKafkaBatchEventHandler<T>
{
    /// <summary>
    /// The whole statement, built once per handler type with <see cref="KafkaInbox.WithMarks"/>: the effects are CTEs that
    /// take only records whose <c>event_id</c> is in <c>fresh</c>, with their parameters numbered from <c>$4</c>.
    /// </summary>
    protected abstract string Statement { get; }

    /// <inheritdoc />
    public async Task HandleBatchAsync(IReadOnlyList<KafkaRecord<T>> records, CancellationToken cancellationToken)
    {
        // A batch may repeat an id (the producer retried); the first occurrence is the one applied.
        var seen = new HashSet<string>(records.Count, StringComparer.Ordinal);
        var unique = new List<KafkaRecord<T>>(records.Count);
        foreach (var record in records)
        {
            if (seen.Add(record.Envelope.Id))
            {
                unique.Add(record);
            }
        }

        using var activity = StartActivity(unique);
        // One statement per partition, run side by side on their own connections, so the database works on the
        // partitions in parallel. Each is atomic; if one fails the host retries the batch, and what the others
        // committed is then recognised by the inbox. A partition's records stay in their order within its statement.
        var partitions = unique.GroupBy(r => (r.Context.Topic, r.Context.Partition)).Select(g => (IReadOnlyList<KafkaRecord<T>>)g.ToList()).ToList();
        var counts = await Task.WhenAll(partitions.Select(part => inbox.ApplyManyInOneStatementAsync(
            Statement, records[0].Context.ConsumerGroup, part, parameters => AddEffectParameters(parameters, part), cancellationToken)));
        var fresh = counts.Sum();
        activity?.SetTag("mlops.inbox.fresh", fresh);
        var duplicates = records.Count - fresh;
        if (duplicates > 0)
        {
            KafkaTelemetry.Duplicates.Add(duplicates, new KeyValuePair<string, object?>("messaging.destination.name", records[0].Context.Topic));
        }

        if (fresh > 0)
        {
            await OnCommittedAsync(unique, fresh, cancellationToken);
        }
    }

    /// <summary>Adds the effects' parameters (<c>$4</c> on) for the batch's records, first occurrence of each id.</summary>
    protected abstract void AddEffectParameters(NpgsqlParameterCollection parameters, IReadOnlyList<KafkaRecord<T>> records);

    /// <summary>The activity covering the batch's statement, if the handler traces one.</summary>
    protected virtual Activity? StartActivity(IReadOnlyList<KafkaRecord<T>> records) => null;

    /// <summary>Called after the effects committed, with how many records were new (e.g. for metrics or caches).</summary>
    protected virtual Task OnCommittedAsync(IReadOnlyList<KafkaRecord<T>> records, int fresh, CancellationToken cancellationToken) => Task.CompletedTask;
}
