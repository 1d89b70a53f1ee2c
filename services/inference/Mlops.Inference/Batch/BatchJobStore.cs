using System.Runtime.CompilerServices;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Mlops.Inference.Batch;

/// <summary>Reads and writes batch jobs, chunks and results; every statement is parameterised.</summary>
public sealed class BatchJobStore(BatchJobDatabase database, TimeProvider clock)
{
    const string JobColumns = """
        j.job_id, j.model_name, j.model_version, j.artifact_sha256, j.features, j.feature_set_version, j.dataset_version, j.times,
        j.label_name, j.output_topic, j.state, j.error, j.chunks_total, j.chunks_done, j.entities, j.created_at, j.finished_at,
        j.results_expired_at
        """;

    const string InsertJobSql = """
        INSERT INTO batch_jobs (job_id, model_name, model_version, artifact_sha256, features, feature_set_version, dataset_version, times,
            label_name, output_topic, state, chunks_total, entities, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        """;

    // A resumed planning records the same chunks again (same numbers, same entities): what is there already stays.
    const string InsertChunksSql = """
        INSERT INTO batch_chunks (job_id, chunk, entity_ids, state)
        SELECT $1, c.chunk, string_to_array(c.ids, E'\x1f'), 'pending' FROM unnest($2::int[], $3::text[]) AS c(chunk, ids)
        ON CONFLICT (job_id, chunk) DO NOTHING
        """;

    const string CountChunksSql = "SELECT count(*) FROM batch_chunks WHERE job_id = $1";

    const string PlanningJobsSql = "SELECT job_id FROM batch_jobs WHERE state = 'planning' ORDER BY created_at LIMIT $1";

    // Session-level, on a connection held for the whole planning: a planner killed mid-way drops its connection and so
    // its lock, and only then may another replica resume the job.
    const string LockPlanningSql = "SELECT pg_advisory_lock($1, hashtext($2))";

    const string TryLockPlanningSql = "SELECT pg_try_advisory_lock($1, hashtext($2))";

    const string UnlockPlanningSql = "SELECT pg_advisory_unlock($1, hashtext($2))";

    const string CancelJobSql = """
        UPDATE batch_jobs SET state = 'cancelled', finished_at = $2
        WHERE job_id = $1 AND state IN ('planning', 'running')
        """;

    const string SelectStateSql = "SELECT state FROM batch_jobs WHERE job_id = $1";

    // One job at a time, oldest first, so a long backlog is worked down in bounded transactions.
    const string ExpireJobSql = """
        SELECT job_id FROM batch_jobs
        WHERE finished_at IS NOT NULL AND finished_at < $1 AND results_expired_at IS NULL
            AND state IN ('succeeded', 'failed', 'cancelled')
        ORDER BY finished_at LIMIT 1 FOR UPDATE SKIP LOCKED
        """;

    const string DeleteResultsSql = "DELETE FROM batch_results WHERE job_id = $1";

    const string MarkExpiredSql = "UPDATE batch_jobs SET results_expired_at = $2 WHERE job_id = $1";

    // Rows are counted live from the results, so progress shows rows of chunks still being scored too.
    const string SelectJobSql = "SELECT " + JobColumns + ", (SELECT count(*) FROM batch_results r WHERE r.job_id = j.job_id) FROM batch_jobs j WHERE j.job_id = $1";

    // For a worker: the job without its row count, which would cost a scan of the results per chunk.
    const string SelectJobForWorkSql = "SELECT " + JobColumns + ", 0::bigint FROM batch_jobs j WHERE j.job_id = $1";

    const string ListJobsSql = "SELECT " + JobColumns + ", (SELECT count(*) FROM batch_results r WHERE r.job_id = j.job_id) FROM batch_jobs j ORDER BY j.created_at DESC LIMIT $1";

    const string SetRunningSql = """
        UPDATE batch_jobs SET state = CASE WHEN chunks_total = 0 THEN 'succeeded' ELSE 'running' END,
            finished_at = CASE WHEN chunks_total = 0 THEN $2 ELSE NULL END
        WHERE job_id = $1 AND state = 'planning'
        """;

    const string SelectChunkSql = "SELECT entity_ids, state FROM batch_chunks WHERE job_id = $1 AND chunk = $2";

    const string StartChunkSql = "UPDATE batch_chunks SET attempts = attempts + 1, worker = $3 WHERE job_id = $1 AND chunk = $2";

    const string InsertResultsSql = """
        INSERT INTO batch_results (job_id, entity_id, at, label_id, probability, uncertainty, error, features)
        SELECT $1, r.entity_id, r.at, r.label_id, r.probability, r.uncertainty, r.error, r.features
        FROM unnest($2::text[], $3::timestamptz[], $4::text[], $5::float8[], $6::float8[], $7::text[], $8::jsonb[])
            AS r(entity_id, at, label_id, probability, uncertainty, error, features)
        ON CONFLICT (job_id, entity_id, at) DO NOTHING
        """;

    // Done once: a chunk redelivered after it was marked done does not count twice.
    const string CompleteChunkSql = """
        UPDATE batch_chunks c SET state = 'done', done_at = $3,
            rows = (SELECT count(*) FROM batch_results r WHERE r.job_id = c.job_id AND r.entity_id = ANY(c.entity_ids))
        WHERE c.job_id = $1 AND c.chunk = $2 AND c.state <> 'done'
        """;

    const string CountChunkSql = """
        UPDATE batch_jobs SET chunks_done = chunks_done + 1,
            state = CASE WHEN state IN ('failed', 'cancelled') THEN state WHEN chunks_done + 1 >= chunks_total THEN 'succeeded' ELSE 'running' END,
            finished_at = CASE WHEN chunks_done + 1 >= chunks_total AND state NOT IN ('failed', 'cancelled') THEN $2 ELSE finished_at END
        WHERE job_id = $1
        """;

    // A cancelled job stays cancelled: a chunk failing after the cancel is no longer the job's outcome.
    const string FailJobSql = "UPDATE batch_jobs SET state = 'failed', error = $2, finished_at = $3 WHERE job_id = $1 AND state NOT IN ('failed', 'cancelled')";

    const string SelectResultsSql = """
        SELECT entity_id, at, label_id, probability, uncertainty, error, features FROM batch_results
        WHERE job_id = $1 ORDER BY entity_id COLLATE "C", at
        """;

    /// <summary>Records a job (state <see cref="BatchJobStates.Planning"/>); its chunks follow (<see cref="AddChunksAsync"/>).</summary>
    public async Task CreateAsync(BatchJob job, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using (var insert = new NpgsqlCommand(InsertJobSql, connection))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = job.JobId });
            insert.Parameters.Add(new NpgsqlParameter { Value = job.ModelName });
            insert.Parameters.Add(new NpgsqlParameter { Value = job.ModelVersion });
            insert.Parameters.Add(new NpgsqlParameter { Value = job.ArtifactSha256 });
            insert.Parameters.Add(new NpgsqlParameter { Value = job.Features.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)job.FeatureSetVersion ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = job.DatasetVersion });
            insert.Parameters.Add(new NpgsqlParameter
            {
                Value = job.Times is null ? DBNull.Value : job.Times.Select(t => t.ToUniversalTime()).ToArray(),
                NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
            });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)job.LabelName ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)job.OutputTopic ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = job.State });
            insert.Parameters.Add(new NpgsqlParameter { Value = job.ChunksTotal });
            insert.Parameters.Add(new NpgsqlParameter { Value = job.Entities });
            insert.Parameters.Add(new NpgsqlParameter { Value = job.CreatedAt.ToUniversalTime() });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Records the job's chunks, numbered from 0, in one transaction; chunks already recorded (by a planner that died
    /// after recording them) stay as they are.
    /// </summary>
    public async Task AddChunksAsync(string jobId, IReadOnlyList<IReadOnlyList<string>> chunks, CancellationToken cancellationToken)
    {
        if (chunks.Count == 0)
        {
            return;
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        // Entity ids are identifiers (no control characters), so the unit separator joins them safely.
        await using var insertChunks = new NpgsqlCommand(InsertChunksSql, connection);
        insertChunks.Parameters.Add(new NpgsqlParameter { Value = jobId });
        insertChunks.Parameters.Add(new NpgsqlParameter { Value = Enumerable.Range(0, chunks.Count).ToArray() });
        insertChunks.Parameters.Add(new NpgsqlParameter { Value = chunks.Select(c => string.Join('\u001f', c)).ToArray() });
        await insertChunks.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>How many of the job's chunks are recorded.</summary>
    public async Task<int> CountChunksAsync(string jobId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(CountChunksSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The oldest jobs still planning (their planner busy, or dead).</summary>
    public async Task<IReadOnlyList<string>> PlanningJobsAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(PlanningJobsSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>Waits for, then holds, the job's planning lock until the returned lock is disposed.</summary>
    public async Task<PlanningLock> LockPlanningAsync(string jobId, CancellationToken cancellationToken) =>
        (await PlanningLock.TakeAsync(database, jobId, wait: true, cancellationToken))!;

    /// <summary>The job's planning lock, or null when another process (its planner, or another resumer) holds it.</summary>
    public Task<PlanningLock?> TryLockPlanningAsync(string jobId, CancellationToken cancellationToken) =>
        PlanningLock.TakeAsync(database, jobId, wait: false, cancellationToken);

    /// <summary>Cancels a planning or running job; false when it is finished already (or unknown).</summary>
    public async Task<bool> CancelAsync(string jobId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(CancelJobSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The job's state alone (null when there is no such job): what a worker checks between score batches.</summary>
    public async Task<string?> StateAsync(string jobId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(SelectStateSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>
    /// Deletes the rows of one job finished before <paramref name="finishedBefore"/> and marks it expired, in one
    /// transaction; the job's id, or null when none is left. Replicas sweeping at once each take a different job.
    /// </summary>
    public async Task<string?> ExpireOneAsync(DateTimeOffset finishedBefore, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        string? jobId;
        await using (var select = new NpgsqlCommand(ExpireJobSql, connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = finishedBefore.ToUniversalTime() });
            jobId = await select.ExecuteScalarAsync(cancellationToken) as string;
        }

        if (jobId is null)
        {
            return null;
        }

        await using (var delete = new NpgsqlCommand(DeleteResultsSql, connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = jobId });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var mark = new NpgsqlCommand(MarkExpiredSql, connection, transaction))
        {
            mark.Parameters.Add(new NpgsqlParameter { Value = jobId });
            mark.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return jobId;
    }

    /// <summary>A held planning lock: a connection of its own, so the lock lives exactly as long as this process does.</summary>
    public sealed class PlanningLock : IAsyncDisposable
    {
        readonly NpgsqlConnection _connection;
        readonly string _jobId;

        PlanningLock(NpgsqlConnection connection, string jobId)
        {
            _connection = connection;
            _jobId = jobId;
        }

        internal static async Task<PlanningLock?> TakeAsync(BatchJobDatabase database, string jobId, bool wait, CancellationToken cancellationToken)
        {
            var connection = await database.OpenConnectionAsync(cancellationToken);
            try
            {
                await using var command = new NpgsqlCommand(wait ? LockPlanningSql : TryLockPlanningSql, connection);
                command.Parameters.Add(new NpgsqlParameter { Value = Storage.AdvisoryLockKeys.BatchJobPlanning });
                command.Parameters.Add(new NpgsqlParameter { Value = jobId });
                var result = await command.ExecuteScalarAsync(cancellationToken);
                if (wait || result is true)
                {
                    return new PlanningLock(connection, jobId);
                }
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }

            await connection.DisposeAsync();
            return null;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var command = new NpgsqlCommand(UnlockPlanningSql, _connection);
                command.Parameters.Add(new NpgsqlParameter { Value = Storage.AdvisoryLockKeys.BatchJobPlanning });
                command.Parameters.Add(new NpgsqlParameter { Value = _jobId });
                await command.ExecuteNonQueryAsync(CancellationToken.None);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                // The connection is gone, and the lock with its session.
            }
            finally
            {
                await _connection.DisposeAsync();
            }
        }
    }

    /// <summary>Every chunk is on the topic: the job runs (or is done at once when it has none).</summary>
    public async Task MarkRunningAsync(string jobId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(SetRunningSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The job with its live row count (0 without <paramref name="countRows"/>); null when there is none.</summary>
    public async Task<BatchJob?> FindAsync(string jobId, CancellationToken cancellationToken, bool countRows = true)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(countRows ? SelectJobSql : SelectJobForWorkSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadJob(reader) : null;
    }

    /// <summary>The most recent jobs, newest first.</summary>
    public async Task<IReadOnlyList<BatchJob>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(ListJobsSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var jobs = new List<BatchJob>();
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs.Add(ReadJob(reader));
        }

        return jobs;
    }

    /// <summary>The chunk, counting the attempt and naming the worker; null when the job or chunk is unknown.</summary>
    public async Task<BatchChunk?> StartChunkAsync(string jobId, int chunk, string worker, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using (var start = new NpgsqlCommand(StartChunkSql, connection))
        {
            start.Parameters.Add(new NpgsqlParameter { Value = jobId });
            start.Parameters.Add(new NpgsqlParameter { Value = chunk });
            start.Parameters.Add(new NpgsqlParameter { Value = worker });
            await start.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand(SelectChunkSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        command.Parameters.Add(new NpgsqlParameter { Value = chunk });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new BatchChunk(jobId, chunk, reader.GetFieldValue<string[]>(0), reader.GetString(1)) : null;
    }

    /// <summary>Writes result rows; a row already there (the chunk was scored before a crash) is kept as it was.</summary>
    public async Task<int> AddResultsAsync(string jobId, IReadOnlyList<BatchResultRow> rows, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(InsertResultsSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.EntityId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Time.ToUniversalTime()).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.LabelId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Probability).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Uncertainty).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Error).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = rows.Select(r => JsonSerializer.Serialize(r.Features, Json)).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb,
        });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Marks the chunk done and counts it towards its job, once; false when it was done already.</summary>
    public async Task<bool> CompleteChunkAsync(string jobId, int chunk, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var now = clock.GetUtcNow();
        await using (var complete = new NpgsqlCommand(CompleteChunkSql, connection, transaction))
        {
            complete.Parameters.Add(new NpgsqlParameter { Value = jobId });
            complete.Parameters.Add(new NpgsqlParameter { Value = chunk });
            complete.Parameters.Add(new NpgsqlParameter { Value = now });
            if (await complete.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false;
            }
        }

        await using (var count = new NpgsqlCommand(CountChunkSql, connection, transaction))
        {
            count.Parameters.Add(new NpgsqlParameter { Value = jobId });
            count.Parameters.Add(new NpgsqlParameter { Value = now });
            await count.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Fails the job with the reason (the first reason stays).</summary>
    public async Task FailAsync(string jobId, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(FailJobSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        command.Parameters.Add(new NpgsqlParameter { Value = reason });
        command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The job's rows by entity (byte order) and time, streamed.</summary>
    public async IAsyncEnumerable<BatchResultRow> ReadResultsAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(SelectResultsSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var entityId = reader.GetString(0);
            var at = reader.GetFieldValue<DateTimeOffset>(1);
            var labelId = await reader.IsDBNullAsync(2, cancellationToken) ? null : reader.GetString(2);
            double? probability = await reader.IsDBNullAsync(3, cancellationToken) ? null : reader.GetDouble(3);
            double? uncertainty = await reader.IsDBNullAsync(4, cancellationToken) ? null : reader.GetDouble(4);
            var error = await reader.IsDBNullAsync(5, cancellationToken) ? null : reader.GetString(5);
            var features = JsonSerializer.Deserialize<Dictionary<string, double?>>(reader.GetString(6), Json)!;
            yield return new BatchResultRow(entityId, at, labelId, probability, uncertainty, error, features);
        }
    }

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    static BatchJob ReadJob(NpgsqlDataReader reader) => new()
    {
        JobId = reader.GetString(0),
        ModelName = reader.GetString(1),
        ModelVersion = reader.GetString(2),
        ArtifactSha256 = reader.GetString(3),
        Features = reader.GetFieldValue<string[]>(4),
        FeatureSetVersion = reader.IsDBNull(5) ? null : reader.GetString(5),
        DatasetVersion = reader.GetString(6),
        Times = reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset[]>(7),
        LabelName = reader.IsDBNull(8) ? null : reader.GetString(8),
        OutputTopic = reader.IsDBNull(9) ? null : reader.GetString(9),
        State = reader.GetString(10),
        Error = reader.IsDBNull(11) ? null : reader.GetString(11),
        ChunksTotal = reader.GetInt32(12),
        ChunksDone = reader.GetInt32(13),
        Entities = reader.GetInt32(14),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(15),
        FinishedAt = reader.IsDBNull(16) ? null : reader.GetFieldValue<DateTimeOffset>(16),
        ResultsExpiredAt = reader.IsDBNull(17) ? null : reader.GetFieldValue<DateTimeOffset>(17),
        Rows = reader.GetInt64(18),
    };
}
