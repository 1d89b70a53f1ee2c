using Npgsql;

namespace Mlops.Messaging.Sagas;

/// <summary>
/// One table holds the instances of every saga type: the state as JSONB (queried by containment through a
/// GIN index), the current state name for dashboards, and the version that optimistic concurrency checks.
/// Beside it the durable outbox (<c>saga_outbox</c>: messages the sagas produced, written in the transaction that saved
/// the state, delivered by the relay) and the inbox (<c>saga_inbox</c>: ids of messages already applied per saga type).
/// </summary>
public static class PostgresSagaSchema
{
    const string CreateSql = """
        CREATE TABLE IF NOT EXISTS saga_instances (
            saga_type text NOT NULL,
            correlation_id uuid NOT NULL,
            version integer NOT NULL,
            current_state text NULL,
            data jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (saga_type, correlation_id)
        );
        CREATE INDEX IF NOT EXISTS ix_saga_instances_data ON saga_instances USING gin (data jsonb_path_ops);
        CREATE INDEX IF NOT EXISTS ix_saga_instances_state ON saga_instances (saga_type, current_state);
        CREATE TABLE IF NOT EXISTS saga_outbox (
            message_id uuid PRIMARY KEY,
            sequence_number bigserial NOT NULL UNIQUE,
            saga_type text NOT NULL,
            order_key uuid NOT NULL,
            destination_address text NOT NULL,
            content_type text NOT NULL,
            message_type text NOT NULL,
            body text NOT NULL,
            headers text NULL,
            properties text NULL,
            conversation_id uuid NULL,
            correlation_id uuid NULL,
            initiator_id uuid NULL,
            request_id uuid NULL,
            source_address text NULL,
            response_address text NULL,
            fault_address text NULL,
            sent_time timestamptz NOT NULL,
            expiration_time timestamptz NULL,
            trace_parent text NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            delivered_at timestamptz NULL,
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NULL
        );
        CREATE INDEX IF NOT EXISTS ix_saga_outbox_pending ON saga_outbox (saga_type, order_key, sequence_number) WHERE delivered_at IS NULL;
        CREATE INDEX IF NOT EXISTS ix_saga_outbox_delivered ON saga_outbox (delivered_at) WHERE delivered_at IS NOT NULL;
        CREATE TABLE IF NOT EXISTS saga_inbox (
            saga_type text NOT NULL,
            message_id uuid NOT NULL,
            consumed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (saga_type, message_id)
        );
        CREATE INDEX IF NOT EXISTS ix_saga_inbox_consumed ON saga_inbox (consumed_at);
        """;

    const string ProbeSql = """
        SELECT to_regclass('saga_instances') IS NOT NULL AND to_regclass('ix_saga_instances_state') IS NOT NULL
           AND to_regclass('saga_outbox') IS NOT NULL AND to_regclass('ix_saga_outbox_delivered') IS NOT NULL
           AND to_regclass('saga_inbox') IS NOT NULL AND to_regclass('ix_saga_inbox_consumed') IS NOT NULL
        """;

    static readonly SemaphoreSlim Lock = new(1, 1);
    static readonly HashSet<NpgsqlDataSource> Ready = [];

    /// <summary>Creates the table and indexes once per data source.</summary>
    public static async Task EnsureAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await Lock.WaitAsync(cancellationToken);
        try
        {
            if (Ready.Contains(dataSource))
            {
                return;
            }

            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            // The DDL locks the tables even when everything exists, and against saga transactions touching the inbox,
            // outbox and instances that can deadlock: run it only when something is missing.
            await using (var probe = new NpgsqlCommand(ProbeSql, connection))
            {
                if ((bool)(await probe.ExecuteScalarAsync(cancellationToken))!)
                {
                    Ready.Add(dataSource);
                    return;
                }
            }

            // Two processes creating the schema at once can collide on the catalog; an advisory lock orders them.
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(727274001)", connection, transaction))
            {
                await lockCommand.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var create = new NpgsqlCommand(CreateSql, connection, transaction))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            Ready.Add(dataSource);
        }
        finally
        {
            Lock.Release();
        }
    }
}
