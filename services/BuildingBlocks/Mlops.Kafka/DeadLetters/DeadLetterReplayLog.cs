using Mlops.ServiceDefaults;
using Npgsql;

namespace Mlops.Kafka.DeadLetters;

/// <summary>
/// Who replayed which dead letter, why, and where it was re-published — in the database of the service that maps the
/// replay API. A replay is logged before it is published and completed after, so even a crash in between leaves a trace.
/// </summary>
public sealed class DeadLetterReplayLog(NpgsqlDataSource dataSource)
{
    const string Ddl = """
        CREATE TABLE IF NOT EXISTS deadletter_replays (
            replay_id uuid PRIMARY KEY,
            deadletter_topic text NOT NULL,
            deadletter_id text NOT NULL,
            original_topic text NOT NULL,
            original_partition integer NOT NULL,
            original_offset bigint NOT NULL,
            original_event_id text NULL,
            consumer_group text NOT NULL,
            failure_kind text NOT NULL,
            replayed_by text NOT NULL,
            reason text NOT NULL,
            requested_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            published_at timestamptz NULL,
            published_partition integer NULL,
            published_offset bigint NULL
        );
        CREATE INDEX IF NOT EXISTS ix_deadletter_replays_deadletter ON deadletter_replays (deadletter_topic, deadletter_id);
        """;

    const string Columns = """
        replay_id, deadletter_id, original_event_id, original_topic, replayed_by, reason, requested_at, published_at, published_partition, published_offset,
        original_partition, original_offset, consumer_group
        """;

    readonly DatabaseSchema _schema = new(dataSource, Ddl, 727274020);

    /// <summary>Records a replay about to be published.</summary>
    public async Task<Guid> StartAsync(string deadLetterTopic, DeadLetterId id, Contracts.Kafka.DeadLetterRecord record, string by, string reason, CancellationToken cancellationToken)
    {
        var replayId = Guid.CreateVersion7();
        await using var connection = await _schema.OpenConnectionAsync(cancellationToken);
        await using var insert = new NpgsqlCommand("""
            INSERT INTO deadletter_replays (replay_id, deadletter_topic, deadletter_id, original_topic, original_partition, original_offset,
                                            original_event_id, consumer_group, failure_kind, replayed_by, reason)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            """, connection);
        foreach (var value in new object?[]
                 {
                     replayId, deadLetterTopic, id.ToString(), record.OriginalTopic, record.OriginalPartition, record.OriginalOffset,
                     record.OriginalEventId, record.ConsumerGroup, record.FailureKind, by, reason,
                 })
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        await insert.ExecuteNonQueryAsync(cancellationToken);
        return replayId;
    }

    /// <summary>Records where the replayed record landed.</summary>
    public async Task CompleteAsync(Guid replayId, int partition, long offset, CancellationToken cancellationToken)
    {
        await using var connection = await _schema.OpenConnectionAsync(cancellationToken);
        await using var update = new NpgsqlCommand(
            "UPDATE deadletter_replays SET published_at = clock_timestamp(), published_partition = $2, published_offset = $3 WHERE replay_id = $1", connection);
        update.Parameters.Add(new NpgsqlParameter { Value = replayId });
        update.Parameters.Add(new NpgsqlParameter { Value = partition });
        update.Parameters.Add(new NpgsqlParameter { Value = offset });
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Replays of the dead-letter topic, newest first, optionally of one dead letter.</summary>
    public async Task<IReadOnlyList<LoggedReplay>> ListAsync(string deadLetterTopic, string? deadLetterId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await _schema.OpenConnectionAsync(cancellationToken);
        await using var select = new NpgsqlCommand($"""
            SELECT {Columns} FROM deadletter_replays
            WHERE deadletter_topic = $1 AND ($2::text IS NULL OR deadletter_id = $2)
            ORDER BY requested_at DESC LIMIT $3
            """, connection);
        select.Parameters.Add(new NpgsqlParameter { Value = deadLetterTopic });
        select.Parameters.Add(new NpgsqlParameter { Value = (object?)deadLetterId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        select.Parameters.Add(new NpgsqlParameter { Value = limit });
        var replays = new List<LoggedReplay>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var replay = new DeadLetterReplay(
                reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                reader.GetFieldValue<DateTimeOffset>(6), reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetInt32(8), reader.IsDBNull(9) ? null : reader.GetInt64(9));
            replays.Add(new LoggedReplay(replay, reader.GetInt32(10), reader.GetInt64(11), reader.GetString(12)));
        }

        return replays;
    }
}

/// <summary>A logged replay with what identifies the dead letter it was made of, beyond its position.</summary>
public sealed record LoggedReplay(DeadLetterReplay Replay, int OriginalPartition, long OriginalOffset, string ConsumerGroup)
{
    /// <summary>
    /// True when this replay was made of the dead letter at <paramref name="id"/> carrying <paramref name="record"/>. The
    /// position alone is not enough: a dead-letter topic recreated, or a broker whose state was reset, numbers its
    /// records from 0 again while this log keeps the replays of the letters that held those positions before.
    /// </summary>
    public bool Of(string id, Contracts.Kafka.DeadLetterRecord record) =>
        Replay.DeadLetterId == id && Replay.TargetTopic == record.OriginalTopic && OriginalPartition == record.OriginalPartition
        && OriginalOffset == record.OriginalOffset && ConsumerGroup == record.ConsumerGroup;
}
