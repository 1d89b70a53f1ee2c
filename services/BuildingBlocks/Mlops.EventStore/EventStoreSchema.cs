using Npgsql;

namespace Mlops.EventStore;

/// <summary>
/// The store's tables and the SQL run against them. The schema name is an identifier (PostgreSQL cannot take it
/// as a parameter), so it is validated against a strict pattern once and quoted; every value is a parameter.
/// </summary>
public sealed class EventStoreSchema
{
    /// <summary>Builds the SQL for <paramref name="options"/>' schema.</summary>
    public EventStoreSchema(EventStoreOptions options)
    {
        Name = options.ValidatedSchema();
        var s = "\"" + Name + "\"";
        // One advisory lock key per schema: appends into one schema are serialised, different schemas are independent.
        AppendLockKey = StableKey("append:" + Name);
        DispatchLockKey = StableKey("dispatch:" + Name);

        Create = $"""
            CREATE SCHEMA IF NOT EXISTS {s};
            CREATE TABLE IF NOT EXISTS {s}.streams (
                stream_id text PRIMARY KEY,
                version bigint NOT NULL,
                created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
            );
            CREATE TABLE IF NOT EXISTS {s}.events (
                position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                event_id uuid NOT NULL UNIQUE,
                stream_id text NOT NULL,
                version bigint NOT NULL,
                type text NOT NULL,
                data jsonb NOT NULL,
                metadata jsonb NOT NULL,
                recorded_at timestamptz NOT NULL,
                UNIQUE (stream_id, version)
            );
            CREATE INDEX IF NOT EXISTS ix_events_stream_time ON {s}.events (stream_id, recorded_at);
            CREATE TABLE IF NOT EXISTS {s}.outbox (
                event_id uuid PRIMARY KEY,
                position bigint NOT NULL,
                stream_id text NOT NULL,
                type text NOT NULL,
                data jsonb NOT NULL,
                created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                dispatched_at timestamptz NULL
            );
            -- Brokers that already acknowledged a row published to several, so a retry sends only to the others.
            ALTER TABLE {s}.outbox ADD COLUMN IF NOT EXISTS dispatched_transports integer NOT NULL DEFAULT 0;
            CREATE INDEX IF NOT EXISTS ix_outbox_pending ON {s}.outbox (position) WHERE dispatched_at IS NULL;
            CREATE TABLE IF NOT EXISTS {s}.checkpoints (
                subscription text PRIMARY KEY,
                position bigint NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
            );
            """;
        LockAppends = "SELECT pg_advisory_xact_lock($1)";
        ReadVersionAndClock = $"SELECT (SELECT version FROM {s}.streams WHERE stream_id = $1), clock_timestamp()";
        InsertStream = $"INSERT INTO {s}.streams (stream_id, version) VALUES ($1, $2)";
        UpdateStream = $"UPDATE {s}.streams SET version = $2, updated_at = clock_timestamp() WHERE stream_id = $1";
        InsertEvents = $"""
            INSERT INTO {s}.events (event_id, stream_id, version, type, data, metadata, recorded_at)
            SELECT e.id, $1, e.version, e.type, e.data::jsonb, $6::jsonb, $7
            FROM unnest($2::uuid[], $3::bigint[], $4::text[], $5::text[]) WITH ORDINALITY AS e(id, version, type, data, n)
            ORDER BY e.n
            RETURNING event_id, position
            """;
        InsertOutbox = $"""
            INSERT INTO {s}.outbox (event_id, position, stream_id, type, data)
            SELECT e.id, e.position, $1, e.type, e.data::jsonb
            FROM unnest($2::uuid[], $3::bigint[], $4::text[], $5::text[]) AS e(id, position, type, data)
            """;
        SelectColumns = "position, event_id, stream_id, version, type, data::text, metadata::text, recorded_at";
        LoadStream = $"SELECT {SelectColumns} FROM {s}.events WHERE stream_id = $1 AND version <= $2 AND ($3::timestamptz IS NULL OR recorded_at <= $3) ORDER BY version";
        ReadAll = $"SELECT {SelectColumns} FROM {s}.events WHERE position > $1 ORDER BY position LIMIT $2";
        ReadCheckpoint = $"SELECT position FROM {s}.checkpoints WHERE subscription = $1 FOR UPDATE";
        WriteCheckpoint = $"""
            INSERT INTO {s}.checkpoints (subscription, position) VALUES ($1, $2)
            ON CONFLICT (subscription) DO UPDATE SET position = excluded.position, updated_at = clock_timestamp()
            """;
        TryLockDispatch = "SELECT pg_try_advisory_xact_lock($1)";
        ReadOutbox = $"SELECT event_id, stream_id, type, data::text, dispatched_transports FROM {s}.outbox WHERE dispatched_at IS NULL ORDER BY position LIMIT $1 FOR UPDATE";
        MarkDispatched = $"UPDATE {s}.outbox SET dispatched_at = clock_timestamp() WHERE event_id = $1";
        MarkTransportDispatched = $"UPDATE {s}.outbox SET dispatched_transports = dispatched_transports | $2 WHERE event_id = $1";
    }

    /// <summary>The validated schema name.</summary>
    public string Name { get; }

    /// <summary>Transaction advisory lock taken by every append.</summary>
    public long AppendLockKey { get; }

    /// <summary>Transaction advisory lock held by the one active outbox dispatcher.</summary>
    public long DispatchLockKey { get; }

    /// <summary>DDL, idempotent.</summary>
    public string Create { get; }

    internal string LockAppends { get; }
    internal string ReadVersionAndClock { get; }
    internal string InsertStream { get; }
    internal string UpdateStream { get; }
    internal string InsertEvents { get; }
    internal string InsertOutbox { get; }
    internal string SelectColumns { get; }
    internal string LoadStream { get; }
    internal string ReadAll { get; }
    internal string ReadCheckpoint { get; }
    internal string WriteCheckpoint { get; }
    internal string TryLockDispatch { get; }
    internal string ReadOutbox { get; }
    internal string MarkDispatched { get; }
    internal string MarkTransportDispatched { get; }

    /// <summary>Creates the schema and tables if they do not exist (safe to run concurrently from several processes).</summary>
    public async Task EnsureAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = StableKey("ddl") });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var create = new NpgsqlCommand(Create, connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>A 64-bit key that is the same in every process (string.GetHashCode is randomised per process).</summary>
    static long StableKey(string text)
    {
        const ulong offset = 14695981039346656037, prime = 1099511628211;
        var hash = offset;
        foreach (var c in "mlops-event-store:" + text)
        {
            hash = (hash ^ c) * prime;
        }

        return unchecked((long)hash);
    }
}
