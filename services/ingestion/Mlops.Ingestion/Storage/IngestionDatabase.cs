using Mlops.ServiceDefaults;
using Npgsql;

namespace Mlops.Ingestion.Storage;

/// <summary>
/// The ingestion database: the append-only raw store, its publication outbox, dataset versions, and the observation
/// schemas registered at run time (every version kept).
/// <c>inserted_xid</c> lets a dataset version name exactly the rows visible at its creation, even when
/// transactions commit out of sequence order. The DDL only ever adds (<c>IF NOT EXISTS</c>), so it also upgrades a
/// database an older version created.
/// </summary>
public sealed class IngestionDatabase(NpgsqlDataSource dataSource)
{
    const string Ddl = """
        CREATE TABLE IF NOT EXISTS observations (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            observation_id text NOT NULL UNIQUE,
            entity_id text NOT NULL,
            entity_type text NOT NULL,
            code text NOT NULL,
            value double precision NOT NULL,
            category text NULL,
            unit text NOT NULL,
            original_value text NOT NULL,
            original_unit text NULL,
            event_time timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            source_system text NOT NULL,
            content_hash text NOT NULL,
            inserted_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
        );
        CREATE INDEX IF NOT EXISTS ix_observations_entity ON observations (entity_id, event_time);
        -- Added after the first release: a database created before it gains the column, existing rows stay NULL.
        ALTER TABLE observations ADD COLUMN IF NOT EXISTS available_time timestamptz NULL;
        CREATE TABLE IF NOT EXISTS observation_outbox (
            seq bigint PRIMARY KEY,
            traceparent text NULL,
            tracestate text NULL
        );
        CREATE TABLE IF NOT EXISTS observation_schema_versions (
            seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
            code text NOT NULL,
            version integer NOT NULL,
            definition jsonb NOT NULL,
            registered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            registered_by text NULL,
            PRIMARY KEY (code, version)
        );
        CREATE TABLE IF NOT EXISTS dataset_versions (
            version text PRIMARY KEY,
            snapshot pg_snapshot NOT NULL,
            max_seq bigint NOT NULL,
            row_count bigint NOT NULL,
            codes text[] NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            created_by text NULL,
            description text NULL
        );
        -- Added later: a version's scope beyond codes (source systems, event-time range); NULL: not restricted.
        ALTER TABLE dataset_versions ADD COLUMN IF NOT EXISTS sources text[] NULL;
        ALTER TABLE dataset_versions ADD COLUMN IF NOT EXISTS event_from timestamptz NULL;
        ALTER TABLE dataset_versions ADD COLUMN IF NOT EXISTS event_until timestamptz NULL;
        """;

    readonly DatabaseSchema _schema = new(dataSource, Ddl, 727274010);

    /// <summary>The data source.</summary>
    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>Opens a connection, creating the schema first if this process has not yet.</summary>
    public Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken) => _schema.OpenConnectionAsync(cancellationToken);

    /// <summary>Creates the tables once per process (lazily, so the service starts while the database is down).</summary>
    public Task EnsureSchemaAsync(CancellationToken cancellationToken) => _schema.EnsureAsync(cancellationToken);
}
