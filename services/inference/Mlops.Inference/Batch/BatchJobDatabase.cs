using Mlops.Inference.Storage;
using Mlops.ServiceDefaults;
using Npgsql;

namespace Mlops.Inference.Batch;

/// <summary>
/// Batch jobs in inference's own database: the job (what it scores with, resolved once), its chunks (the unit of
/// work and of redelivery) and its result rows, keyed by (job, entity, time) so a chunk scored again after a crash
/// adds nothing twice (<c>ON CONFLICT DO NOTHING</c>). A finished job's rows are deleted after the retention; the job
/// stays, with <c>results_expired_at</c> saying when.
/// </summary>
public sealed class BatchJobDatabase(NpgsqlDataSource dataSource)
{
    const string Ddl = """
        CREATE TABLE IF NOT EXISTS batch_jobs (
            job_id text PRIMARY KEY,
            model_name text NOT NULL,
            model_version text NOT NULL,
            artifact_sha256 text NOT NULL,
            features text[] NOT NULL,
            feature_set_version text NULL,
            dataset_version text NOT NULL,
            times timestamptz[] NULL,
            label_name text NULL,
            output_topic text NULL,
            state text NOT NULL,
            error text NULL,
            chunks_total integer NOT NULL DEFAULT 0,
            chunks_done integer NOT NULL DEFAULT 0,
            entities integer NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL,
            finished_at timestamptz NULL
        );
        CREATE INDEX IF NOT EXISTS ix_batch_jobs_created ON batch_jobs (created_at DESC);
        ALTER TABLE batch_jobs ADD COLUMN IF NOT EXISTS results_expired_at timestamptz NULL;
        CREATE INDEX IF NOT EXISTS ix_batch_jobs_planning ON batch_jobs (created_at) WHERE state = 'planning';
        CREATE INDEX IF NOT EXISTS ix_batch_jobs_unexpired ON batch_jobs (finished_at) WHERE finished_at IS NOT NULL AND results_expired_at IS NULL;
        CREATE TABLE IF NOT EXISTS batch_chunks (
            job_id text NOT NULL REFERENCES batch_jobs (job_id) ON DELETE CASCADE,
            chunk integer NOT NULL,
            entity_ids text[] NOT NULL,
            state text NOT NULL,
            rows integer NULL,
            attempts integer NOT NULL DEFAULT 0,
            worker text NULL,
            done_at timestamptz NULL,
            PRIMARY KEY (job_id, chunk)
        );
        CREATE TABLE IF NOT EXISTS batch_results (
            job_id text NOT NULL REFERENCES batch_jobs (job_id) ON DELETE CASCADE,
            entity_id text NOT NULL,
            at timestamptz NOT NULL,
            label_id text NULL,
            probability double precision NULL,
            uncertainty double precision NULL,
            error text NULL,
            features jsonb NOT NULL,
            PRIMARY KEY (job_id, entity_id, at)
        );
        """;

    readonly DatabaseSchema _schema = new(dataSource, Ddl, AdvisoryLockKeys.BatchJobsSchema);

    /// <summary>Opens a connection, creating the tables first if this process has not yet.</summary>
    public Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken) => _schema.OpenConnectionAsync(cancellationToken);
}
