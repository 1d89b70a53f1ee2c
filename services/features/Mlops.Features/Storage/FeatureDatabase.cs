using Mlops.ServiceDefaults;
using Npgsql;

namespace Mlops.Features.Storage;

/// <summary>
/// The features database. <c>feature_observations</c> is the bitemporal base (event time, and <c>known_at</c>: when
/// the source made the value available if it said so, else when the platform recorded it); vectors are derived from
/// it, so the latest vector, the history and point-in-time training rows all come from one truth.
/// </summary>
public sealed class FeatureDatabase(NpgsqlDataSource dataSource)
{
    const string Ddl = """
        CREATE TABLE IF NOT EXISTS feature_observations (
            observation_id text PRIMARY KEY,
            entity_id text NOT NULL,
            code text NOT NULL,
            value double precision NOT NULL,
            event_time timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_feature_observations_entity ON feature_observations (entity_id, event_time);
        -- Added after the first release; a database created before it gains both columns (existing rows: known at
        -- their recorded time, as before).
        ALTER TABLE feature_observations ADD COLUMN IF NOT EXISTS available_time timestamptz NULL;
        ALTER TABLE feature_observations ADD COLUMN IF NOT EXISTS known_at timestamptz
            GENERATED ALWAYS AS (coalesce(available_time, recorded_at)) STORED;
        CREATE TABLE IF NOT EXISTS online_vectors (
            entity_id text NOT NULL,
            feature_set_version text NOT NULL,
            event_time timestamptz NOT NULL,
            computed_at timestamptz NOT NULL,
            feature_values jsonb NOT NULL,
            triggering_observation_id text NULL,
            PRIMARY KEY (entity_id, feature_set_version)
        );
        -- Lineage of the vector (added later, absent from older rows): the observations behind it and their latest
        -- known-at, so a prediction on it can be replayed point in time.
        ALTER TABLE online_vectors ADD COLUMN IF NOT EXISTS known_at timestamptz NULL;
        ALTER TABLE online_vectors ADD COLUMN IF NOT EXISTS observation_ids text[] NULL;
        -- Every write of an online vector takes a new number from one sequence, so a replica can tell a newer row
        -- from an older one whatever the clocks say; the trigger tells every replica's listener about each committed
        -- write (NOTIFY is delivered at commit only, never for a rolled-back transaction).
        CREATE SEQUENCE IF NOT EXISTS online_vector_versions;
        ALTER TABLE online_vectors ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT nextval('online_vector_versions');
        CREATE OR REPLACE FUNCTION online_vectors_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('online_vectors', NEW.feature_set_version || ' ' || NEW.version || ' ' || NEW.entity_id);
            RETURN NULL;
        END
        $$;
        CREATE OR REPLACE TRIGGER online_vectors_changed AFTER INSERT OR UPDATE ON online_vectors
            FOR EACH ROW EXECUTE FUNCTION online_vectors_notify();
        CREATE TABLE IF NOT EXISTS vector_history (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            entity_id text NOT NULL,
            feature_set_version text NOT NULL,
            event_time timestamptz NOT NULL,
            known_at timestamptz NOT NULL,
            feature_values jsonb NOT NULL,
            source text NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_vector_history_entity ON vector_history (entity_id, feature_set_version, event_time, known_at);
        CREATE TABLE IF NOT EXISTS labels (
            label_id text PRIMARY KEY,
            entity_id text NOT NULL,
            name text NOT NULL,
            value double precision NOT NULL,
            event_time timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
        );
        CREATE INDEX IF NOT EXISTS ix_labels_name_entity ON labels (name, entity_id, event_time);
        -- Added later: the prediction a label answers, and whether a label taken over HTTP still has to go out on the
        -- labels topic (monitoring's delayed-label join reads only the topic). Older rows came from the topic or were
        -- never published; they stay as they were.
        ALTER TABLE labels ADD COLUMN IF NOT EXISTS prediction_id text NULL;
        ALTER TABLE labels ADD COLUMN IF NOT EXISTS publish_pending boolean NOT NULL DEFAULT false;
        CREATE INDEX IF NOT EXISTS ix_labels_publish_pending ON labels (recorded_at) WHERE publish_pending;
        -- Definition sets registered at run time, append-only: the newest row of a name is the set in use.
        CREATE TABLE IF NOT EXISTS feature_set_versions (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name text NOT NULL,
            version text NOT NULL,
            definition jsonb NOT NULL,
            registered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            registered_by text NULL
        );
        CREATE INDEX IF NOT EXISTS ix_feature_set_versions_name ON feature_set_versions (name, seq);
        CREATE INDEX IF NOT EXISTS ix_feature_set_versions_version ON feature_set_versions (version);
        """;

    readonly DatabaseSchema _schema = new(dataSource, Ddl, 727274020);

    /// <summary>The data source.</summary>
    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>Opens a connection, creating the schema first if this process has not yet.</summary>
    public Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken) => _schema.OpenConnectionAsync(cancellationToken);

    /// <summary>Creates the tables once per process (lazily, so the service starts while the database is down).</summary>
    public Task EnsureSchemaAsync(CancellationToken cancellationToken) => _schema.EnsureAsync(cancellationToken);
}
