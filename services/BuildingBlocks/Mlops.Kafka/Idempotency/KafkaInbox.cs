using Mlops.Kafka.Consuming;
using Mlops.ServiceDefaults;
using Npgsql;

namespace Mlops.Kafka.Idempotency;

/// <summary>
/// Remembers which event ids a consumer group has applied, in the service's own database, so a redelivered
/// record is recognised. The mark is written in the same transaction as the handler's effects: either both
/// commit or neither does. Ids are forgotten after <see cref="KafkaInboxOptions.Retention"/> (<see cref="KafkaInboxPurger"/>).
/// </summary>
public sealed class KafkaInbox(NpgsqlDataSource dataSource, KafkaInboxUse use)
{
    readonly DatabaseSchema _schema = new(dataSource, CreateSchemaSql, 727274003);

    const string CreateSchemaSql = """
        CREATE TABLE IF NOT EXISTS kafka_inbox (
            consumer_group text NOT NULL,
            event_id text NOT NULL,
            topic text NOT NULL,
            processed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (consumer_group, event_id)
        );
        CREATE INDEX IF NOT EXISTS ix_kafka_inbox_processed_at ON kafka_inbox (processed_at)
        """;

    const string PurgeSql = """
        DELETE FROM kafka_inbox WHERE (consumer_group, event_id) IN (
            SELECT consumer_group, event_id FROM kafka_inbox WHERE processed_at < $1 LIMIT $2)
        """;

    const string MarkSql = """
        INSERT INTO kafka_inbox (consumer_group, event_id, topic) VALUES ($1, $2, $3)
        ON CONFLICT (consumer_group, event_id) DO NOTHING
        """;

    const string MarkManySql = """
        INSERT INTO kafka_inbox (consumer_group, event_id, topic)
        SELECT $1, id, topic FROM unnest($2::text[], $3::text[]) AS e(id, topic)
        ON CONFLICT (consumer_group, event_id) DO NOTHING
        RETURNING event_id
        """;

    /// <summary>
    /// One statement that marks a batch's event ids (<c>$1</c> group, <c>$2</c> ids, <c>$3</c> topics) and applies
    /// <paramref name="effects"/> — CTEs reading <c>fresh(event_id)</c>, the ids not marked before — returning how many
    /// were fresh. Every part of a statement sees the same snapshot and commits or fails together.
    /// </summary>
    public static string WithMarks(string effects) =>
        $"WITH fresh AS ({MarkManySql}),\n{effects}\nSELECT count(*)::integer FROM fresh";

    /// <summary>Creates the inbox table if it does not exist (once per process).</summary>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        await _schema.EnsureAsync(cancellationToken);
        use.Began(this);
    }

    /// <summary>Forgets every event id applied before <paramref name="cutoff"/>; returns how many.</summary>
    public async Task<long> PurgeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var purged = await ChunkedDelete.OlderThanAsync(connection, PurgeSql, cutoff, cancellationToken);
        KafkaTelemetry.InboxPurged.Add(purged);
        return purged;
    }

    /// <summary>
    /// Runs <paramref name="apply"/> inside a transaction that also records the event id, unless the id was
    /// already recorded. Returns false for a duplicate (nothing applied).
    /// </summary>
    public async Task<bool> ApplyOnceAsync(
        string consumerGroup, string eventId, string topic, Func<NpgsqlConnection, NpgsqlTransaction, Task> apply, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var mark = new NpgsqlCommand(MarkSql, connection, transaction))
        {
            mark.Parameters.Add(new NpgsqlParameter { Value = consumerGroup });
            mark.Parameters.Add(new NpgsqlParameter { Value = eventId });
            mark.Parameters.Add(new NpgsqlParameter { Value = topic });
            if (await mark.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                await transaction.RollbackAsync(cancellationToken);
                return false;
            }
        }

        await apply(connection, transaction);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Runs a statement built with <see cref="WithMarks"/> for <paramref name="records"/> (ids unique) in one round trip,
    /// outside any explicit transaction: the statement is atomic on its own. Returns how many records were new.
    /// </summary>
    public async Task<int> ApplyManyInOneStatementAsync<T>(
        string statement, string consumerGroup, IReadOnlyList<KafkaRecord<T>> records, Action<NpgsqlParameterCollection> addEffectParameters,
        CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        var ids = new string[records.Count];
        var topics = new string[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            ids[i] = records[i].Envelope.Id;
            topics[i] = records[i].Context.Topic;
        }

        await using var command = dataSource.CreateCommand(statement);
        command.Parameters.Add(new NpgsqlParameter { Value = consumerGroup });
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        command.Parameters.Add(new NpgsqlParameter { Value = topics });
        addEffectParameters(command.Parameters);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Batch form of <see cref="ApplyOnceAsync"/>: records every event id in one statement and runs
    /// <paramref name="apply"/> with the ids not seen before, in the same transaction.
    /// Returns those new ids (empty when the whole batch was a redelivery).
    /// </summary>
    public async Task<IReadOnlySet<string>> ApplyManyOnceAsync(
        string consumerGroup, IReadOnlyList<(string EventId, string Topic)> events,
        Func<NpgsqlConnection, NpgsqlTransaction, IReadOnlySet<string>, Task> apply, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var fresh = new HashSet<string>(StringComparer.Ordinal);
        await using (var mark = new NpgsqlCommand(MarkManySql, connection, transaction))
        {
            mark.Parameters.Add(new NpgsqlParameter { Value = consumerGroup });
            mark.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.EventId).ToArray() });
            mark.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.Topic).ToArray() });
            await using var reader = await mark.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                fresh.Add(reader.GetString(0));
            }
        }

        if (fresh.Count == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return fresh;
        }

        await apply(connection, transaction, fresh);
        await transaction.CommitAsync(cancellationToken);
        return fresh;
    }
}
