using Npgsql;

namespace Mlops.Messaging.Outbox;

/// <summary>The relay's SQL against <c>saga_outbox</c> and <c>saga_inbox</c>.</summary>
internal static class SagaOutboxStore
{
    // Only the head (oldest undelivered message) of each saga instance is eligible, and it is locked for the round: a
    // second relay skips locked heads and cannot see the rows behind them as heads, so an instance's messages go out one
    // after the other, each after its predecessor's delivery committed. A message whose delivery failed waits out its own
    // backoff (next_attempt_at) and holds back only its instance's later messages. A relay claims only messages addressed to its own
    // broker and virtual host ($2), so processes on other virtual hosts sharing the database leave each other's alone.
    const string ClaimSql = """
        SELECT o.sequence_number, o.message_id, o.saga_type, o.order_key, o.destination_address, o.content_type, o.message_type, o.body,
               o.headers, o.properties, o.conversation_id, o.correlation_id, o.initiator_id, o.request_id, o.source_address,
               o.response_address, o.fault_address, o.sent_time, o.expiration_time, o.trace_parent, o.attempts
        FROM saga_outbox o
        WHERE o.delivered_at IS NULL
          AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= now())
          AND regexp_replace(split_part(o.destination_address, '?', 1), '[^/]*$', '') = $2
          AND NOT EXISTS (
              SELECT 1 FROM saga_outbox p
              WHERE p.delivered_at IS NULL AND p.saga_type = o.saga_type AND p.order_key = o.order_key AND p.sequence_number < o.sequence_number)
        ORDER BY o.sequence_number
        LIMIT $1
        FOR UPDATE OF o SKIP LOCKED
        """;

    const string DeliveredSql = "UPDATE saga_outbox SET delivered_at = now(), attempts = attempts + 1 WHERE sequence_number = $1";
    const string FailedSql = "UPDATE saga_outbox SET attempts = attempts + 1, next_attempt_at = now() + $2 WHERE sequence_number = $1";
    const string PurgeOutboxSql = "DELETE FROM saga_outbox WHERE delivered_at < now() - $1";
    const string PurgeInboxSql = "DELETE FROM saga_inbox WHERE consumed_at < now() - $1";

    public static async Task<List<SagaOutboxMessage>> ClaimAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int limit, string brokerScope, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(ClaimSql, connection, transaction) { Parameters = { new() { Value = limit }, new() { Value = brokerScope } } };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var messages = new List<SagaOutboxMessage>();
        while (await reader.ReadAsync(cancellationToken))
        {
            messages.Add(new SagaOutboxMessage
            {
                SequenceNumber = reader.GetInt64(0),
                MessageId = reader.GetGuid(1),
                SagaType = reader.GetString(2),
                OrderKey = reader.GetGuid(3),
                DestinationAddress = new Uri(reader.GetString(4)),
                ContentType = reader.GetString(5),
                MessageType = reader.GetString(6),
                Body = reader.GetString(7),
                HeadersJson = NullableString(reader, 8),
                PropertiesJson = NullableString(reader, 9),
                ConversationId = NullableGuid(reader, 10),
                CorrelationId = NullableGuid(reader, 11),
                InitiatorId = NullableGuid(reader, 12),
                RequestId = NullableGuid(reader, 13),
                SourceAddress = NullableUri(reader, 14),
                ResponseAddress = NullableUri(reader, 15),
                FaultAddress = NullableUri(reader, 16),
                SentTime = reader.GetDateTime(17),
                ExpirationTime = reader.IsDBNull(18) ? null : reader.GetDateTime(18),
                TraceParent = NullableString(reader, 19),
                Attempts = reader.GetInt32(20),
            });
        }

        return messages;
    }

    /// <summary>The broker and virtual host part of an address (<c>rabbitmq://host:port/vhost/</c>), as the claim compares it.</summary>
    public static string BrokerScopeOf(Uri address)
    {
        var text = address.GetLeftPart(UriPartial.Path);
        return text[..(text.LastIndexOf('/') + 1)];
    }

    public static Task MarkDeliveredAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long sequenceNumber, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction, DeliveredSql, sequenceNumber, cancellationToken);

    public static async Task MarkFailedAttemptAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long sequenceNumber, TimeSpan retryAfter, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(FailedSql, connection, transaction)
        {
            Parameters = { new() { Value = sequenceNumber }, new() { Value = retryAfter } },
        };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task PurgeAsync(NpgsqlDataSource dataSource, TimeSpan retention, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        foreach (var sql in new[] { PurgeOutboxSql, PurgeInboxSql })
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(sql) { Parameters = { new() { Value = retention } } });
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, long sequenceNumber, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction) { Parameters = { new() { Value = sequenceNumber } } };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    static Guid? NullableGuid(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetGuid(ordinal);

    static Uri? NullableUri(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : new Uri(reader.GetString(ordinal));
}
