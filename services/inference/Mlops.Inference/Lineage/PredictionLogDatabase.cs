using Mlops.Inference.Storage;
using Mlops.ServiceDefaults;
using Npgsql;

namespace Mlops.Inference.Lineage;

/// <summary>
/// The prediction log's table in inference's own database. One row per prediction id (a redelivered stream
/// prediction keeps its id and is written once); the observation ids are indexed (GIN) for "every prediction an
/// observation influenced", the time for the retention purge. <c>prediction_outbox</c> holds the ids of HTTP
/// predictions still to publish on <c>predictions.v1</c> (<see cref="PredictionOutboxRelay"/>): inserted by the same
/// statement as their log rows, deleted once the broker acknowledged them. It replaced a <c>publish_pending</c> mark on
/// the log row itself: clearing the mark rewrote the whole wide row and its five index entries (a column in an index
/// predicate rules out a HOT update), and that cost a third of the HTTP predictions a pod could serve. The column
/// stays for rows and replicas of the version before.
/// </summary>
/// <remarks>
/// The GIN index is written row by row (<c>fastupdate = off</c>). With PostgreSQL's default pending list, the insert
/// that filled it past 4 MB merged it into the index itself: at 1,000 observations/s that was one insert of the
/// streaming path taking ~300 ms every ~10 s, and every prediction behind it waited (docs/performance.md).
/// </remarks>
public sealed class PredictionLogDatabase(NpgsqlDataSource dataSource)
{
    const string Ddl = """
        CREATE TABLE IF NOT EXISTS prediction_log (
            prediction_id text PRIMARY KEY,
            entity_id text NULL,
            model_name text NOT NULL,
            model_version text NOT NULL,
            variant text NOT NULL,
            artifact_sha256 text NULL,
            feature_set_version text NULL,
            features jsonb NOT NULL,
            feature_event_time timestamptz NULL,
            feature_computed_at timestamptz NULL,
            known_at timestamptz NULL,
            observation_ids text[] NULL,
            triggering_observation_id text NULL,
            probability double precision NOT NULL,
            uncertainty double precision NOT NULL,
            fallback boolean NOT NULL,
            source text NOT NULL,
            trace_id text NULL,
            predicted_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_prediction_log_predicted_at ON prediction_log (predicted_at);
        CREATE INDEX IF NOT EXISTS ix_prediction_log_entity ON prediction_log (entity_id, predicted_at);
        CREATE INDEX IF NOT EXISTS ix_prediction_log_observations ON prediction_log USING gin (observation_ids) WITH (fastupdate = off);
        DO $$
        BEGIN
            -- Once, for an index made before; ALTER INDEX takes a lock the streaming inserts would queue behind.
            IF EXISTS (SELECT 1 FROM pg_class WHERE oid = to_regclass('ix_prediction_log_observations')
                       AND NOT coalesce(reloptions, '{}') @> ARRAY['fastupdate=off']) THEN
                ALTER INDEX ix_prediction_log_observations SET (fastupdate = off);
            END IF;
        END $$;
        ALTER TABLE prediction_log ADD COLUMN IF NOT EXISTS publish_pending boolean NOT NULL DEFAULT false;
        CREATE INDEX IF NOT EXISTS ix_prediction_log_publish_pending ON prediction_log (predicted_at) WHERE publish_pending;
        CREATE TABLE IF NOT EXISTS prediction_outbox (
            prediction_id text PRIMARY KEY,
            predicted_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_prediction_outbox_predicted_at ON prediction_outbox (predicted_at);
        -- Rows a version before the outbox table left pending move to it once; none are written pending any more.
        WITH moved AS (UPDATE prediction_log SET publish_pending = false WHERE publish_pending RETURNING prediction_id, predicted_at)
        INSERT INTO prediction_outbox SELECT prediction_id, predicted_at FROM moved ON CONFLICT DO NOTHING;
        """;

    readonly DatabaseSchema _schema = new(dataSource, Ddl, AdvisoryLockKeys.PredictionLogSchema);

    /// <summary>Opens a connection, creating the table first if this process has not yet.</summary>
    public Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken) => _schema.OpenConnectionAsync(cancellationToken);
}
