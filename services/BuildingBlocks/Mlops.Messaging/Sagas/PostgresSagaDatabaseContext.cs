using System.Linq.Expressions;
using MassTransit;
using Mlops.Messaging.Outbox;
using Npgsql;
using NpgsqlTypes;

namespace Mlops.Messaging.Sagas;

/// <summary>
/// One connection and transaction for the handling of one message. Remembers the version each instance
/// was loaded at; an update whose version no longer matches throws <see cref="ConcurrencyException"/>, the
/// transaction rolls back, and the message is retried against the newer state.
/// </summary>
public sealed class PostgresSagaDatabaseContext<TSaga> : IAsyncDisposable
    where TSaga : class, ISaga
{
    const string SelectOneSql = "SELECT data, version FROM saga_instances WHERE saga_type = $1 AND correlation_id = $2";
    const string SelectByContainmentSql = "SELECT data, version FROM saga_instances WHERE saga_type = $1 AND data @> $2";
    const string SelectAllSql = "SELECT data, version FROM saga_instances WHERE saga_type = $1";
    const string InsertSql = """
        INSERT INTO saga_instances (saga_type, correlation_id, version, current_state, data)
        VALUES ($1, $2, 1, $3, $4)
        """;
    const string UpdateSql = """
        UPDATE saga_instances SET version = version + 1, current_state = $3, data = $4, updated_at = now()
        WHERE saga_type = $1 AND correlation_id = $2 AND version = $5
        """;
    const string DeleteSql = "DELETE FROM saga_instances WHERE saga_type = $1 AND correlation_id = $2 AND version = $3";
    const string InboxSql = "INSERT INTO saga_inbox (saga_type, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
    const string OutboxSql = """
        INSERT INTO saga_outbox (message_id, saga_type, order_key, destination_address, content_type, message_type, body, headers, properties,
            conversation_id, correlation_id, initiator_id, request_id, source_address, response_address, fault_address, sent_time, expiration_time, trace_parent)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
        """;

    readonly NpgsqlConnection _connection;
    readonly NpgsqlTransaction _transaction;
    readonly string _sagaType;
    readonly Dictionary<Guid, int> _versions = [];
    readonly HashSet<Guid> _written = [];

    internal PostgresSagaDatabaseContext(NpgsqlConnection connection, NpgsqlTransaction transaction, string sagaType)
    {
        _connection = connection;
        _transaction = transaction;
        _sagaType = sagaType;
    }

    /// <summary>Loads an instance, or null when none exists.</summary>
    public async Task<TSaga?> LoadAsync(Guid correlationId, CancellationToken cancellationToken)
    {
        await using var command = Command(SelectOneSql, _sagaType, correlationId);
        var instances = await ReadAsync(command, cancellationToken);
        return instances.Count == 0 ? null : instances[0];
    }

    /// <summary>Instances matching <paramref name="filter"/>.</summary>
    public async Task<IReadOnlyList<TSaga>> QueryAsync(Expression<Func<TSaga, bool>> filter, CancellationToken cancellationToken)
    {
        await using var command = SagaQueryTranslator.TryTranslate(filter, SagaStateSerializer<TSaga>.Options, out var containment)
            ? Command(SelectByContainmentSql, _sagaType, new NpgsqlParameter { Value = containment, NpgsqlDbType = NpgsqlDbType.Jsonb })
            : Command(SelectAllSql, _sagaType);
        var candidates = await ReadAsync(command, cancellationToken);
        var predicate = filter.Compile();
        return candidates.Where(predicate).ToList();
    }

    /// <summary>Inserts a new instance at version 1. A concurrent insert of the same id fails on the primary key.</summary>
    public async Task InsertAsync(TSaga saga, CancellationToken cancellationToken)
    {
        await using var command = Command(InsertSql, _sagaType, saga.CorrelationId, CurrentState(saga), Json(saga));
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new ConcurrencyException($"{_sagaType} {saga.CorrelationId} was created concurrently.", typeof(TSaga), saga.CorrelationId, ex);
        }

        Track(saga, 1);
        _written.Add(saga.CorrelationId);
    }

    /// <summary>Writes the instance if nobody changed it since it was loaded.</summary>
    public async Task UpdateAsync(TSaga saga, CancellationToken cancellationToken)
    {
        var expected = ExpectedVersion(saga);
        await using var command = Command(UpdateSql, _sagaType, saga.CorrelationId, CurrentState(saga), Json(saga), expected);
        if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
        {
            throw new ConcurrencyException(
                $"{_sagaType} {saga.CorrelationId} was changed by someone else since version {expected} was loaded.", typeof(TSaga), saga.CorrelationId);
        }

        Track(saga, expected + 1);
        _written.Add(saga.CorrelationId);
    }

    /// <summary>Removes a finished instance if nobody changed it since it was loaded.</summary>
    public async Task DeleteAsync(TSaga saga, CancellationToken cancellationToken)
    {
        var expected = ExpectedVersion(saga);
        await using var command = Command(DeleteSql, _sagaType, saga.CorrelationId, expected);
        if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
        {
            throw new ConcurrencyException(
                $"{_sagaType} {saga.CorrelationId} was changed by someone else since version {expected} was loaded.", typeof(TSaga), saga.CorrelationId);
        }

        _versions.Remove(saga.CorrelationId);
        _written.Add(saga.CorrelationId);
    }

    /// <summary>
    /// Records that the message with this id is being applied to this saga type. False when it already was (a redelivery):
    /// the caller then applies nothing. A concurrent duplicate waits here on the first one's row until that commits or rolls back.
    /// </summary>
    public async Task<bool> TryRecordInboundAsync(Guid messageId, CancellationToken cancellationToken)
    {
        await using var command = Command(InboxSql, _sagaType, messageId);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Writes the messages the saga produced into the outbox, in this transaction. They are ordered under the saga
    /// instance that was saved (the usual single instance per message); when one message touched several instances,
    /// under <paramref name="fallbackOrderKey"/> (the inbound message's id).
    /// </summary>
    public async Task AppendOutboxAsync(IReadOnlyList<SagaOutboxMessage> messages, Guid fallbackOrderKey, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return;
        }

        var orderKey = _written.Count == 1 ? _written.First() : fallbackOrderKey;
        var batch = new NpgsqlBatch(_connection, _transaction);
        await using (batch)
        {
            foreach (var message in messages)
            {
                message.SagaType = _sagaType;
                message.OrderKey = orderKey;
                var command = new NpgsqlBatchCommand(OutboxSql);
                foreach (var value in OutboxValues(message))
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
                }

                batch.BatchCommands.Add(command);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Commits everything done through this context.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        await _transaction.CommitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Disposing an uncommitted transaction rolls it back: a failed message leaves no partial state.
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }

    int ExpectedVersion(TSaga saga)
    {
        if (saga is ISagaVersion versioned && versioned.Version > 0)
        {
            return versioned.Version;
        }

        return _versions.TryGetValue(saga.CorrelationId, out var version)
            ? version
            : throw new InvalidOperationException($"{_sagaType} {saga.CorrelationId} is updated without having been loaded in this context.");
    }

    void Track(TSaga saga, int version)
    {
        _versions[saga.CorrelationId] = version;
        if (saga is ISagaVersion versioned)
        {
            versioned.Version = version;
        }
    }

    async Task<List<TSaga>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var instances = new List<TSaga>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var saga = SagaStateSerializer<TSaga>.Deserialize(reader.GetString(0));
            Track(saga, reader.GetInt32(1));
            instances.Add(saga);
        }

        return instances;
    }

    static object?[] OutboxValues(SagaOutboxMessage m) =>
    [
        m.MessageId, m.SagaType, m.OrderKey, m.DestinationAddress!.ToString(), m.ContentType, m.MessageType, m.Body, m.HeadersJson, m.PropertiesJson,
        m.ConversationId, m.CorrelationId, m.InitiatorId, m.RequestId, m.SourceAddress?.ToString(), m.ResponseAddress?.ToString(), m.FaultAddress?.ToString(),
        DateTime.SpecifyKind(m.SentTime, DateTimeKind.Utc), m.ExpirationTime is { } expires ? DateTime.SpecifyKind(expires, DateTimeKind.Utc) : null, m.TraceParent,
    ];

    static string? CurrentState(TSaga saga) => SagaStateSerializer<TSaga>.CurrentState(saga);

    static NpgsqlParameter Json(TSaga saga) => new() { Value = SagaStateSerializer<TSaga>.Serialize(saga), NpgsqlDbType = NpgsqlDbType.Jsonb };

    NpgsqlCommand Command(string sql, params object?[] values)
    {
        var command = new NpgsqlCommand(sql, _connection, _transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }
}
