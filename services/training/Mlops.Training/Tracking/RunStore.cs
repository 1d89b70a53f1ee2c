using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace Mlops.Training.Tracking;

/// <summary>Experiment tracking in the training database: runs, their metrics and artifacts.</summary>
public sealed class RunStore(NpgsqlDataSource dataSource)
{
    const string Schema = """
        CREATE TABLE IF NOT EXISTS training_runs (
            run_id uuid PRIMARY KEY,
            parent_run_id uuid NULL REFERENCES training_runs (run_id),
            name text NOT NULL,
            model_name text NOT NULL,
            algorithm text NOT NULL,
            status text NOT NULL,
            current_step text NULL,
            parameters jsonb NOT NULL,
            metrics jsonb NOT NULL DEFAULT '{}',
            dataset_version text NULL,
            feature_set_version text NULL,
            training_set_sha256 text NULL,
            code_version text NULL,
            seed integer NOT NULL DEFAULT 0,
            machine text NULL,
            requested_by text NULL,
            started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            finished_at timestamptz NULL,
            duration_ms double precision NULL,
            failed_step text NULL,
            failure_reason text NULL);
        CREATE INDEX IF NOT EXISTS ix_training_runs_parent ON training_runs (parent_run_id);
        CREATE INDEX IF NOT EXISTS ix_training_runs_started ON training_runs (started_at DESC);
        CREATE TABLE IF NOT EXISTS training_artifacts (
            run_id uuid NOT NULL REFERENCES training_runs (run_id),
            name text NOT NULL,
            content_type text NOT NULL,
            sha256 text NOT NULL,
            size bigint NOT NULL,
            content bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (run_id, name));
        CREATE TABLE IF NOT EXISTS training_run_workspace (
            run_id uuid NOT NULL,
            name text NOT NULL,
            step text NOT NULL,
            content bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (run_id, name));
        CREATE TABLE IF NOT EXISTS training_run_steps (
            run_id uuid NOT NULL REFERENCES training_runs (run_id),
            step text NOT NULL,
            status text NOT NULL,
            attempts integer NOT NULL DEFAULT 1,
            started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            finished_at timestamptz NULL,
            PRIMARY KEY (run_id, step));
        """;

    const string Columns = """
        run_id, parent_run_id, name, model_name, algorithm, status, current_step, parameters::text, metrics::text,
        dataset_version, feature_set_version, training_set_sha256, code_version, seed, machine, requested_by,
        started_at, finished_at, duration_ms, failed_step, failure_reason
        """;

    /// <summary>Creates the tables (idempotent; an advisory lock orders concurrent start-ups).</summary>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(727274101)", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var create = new NpgsqlCommand(Schema, connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Records a new run; a redelivered creation leaves the existing row alone.</summary>
    public async Task CreateAsync(RunRecord run, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO training_runs (run_id, parent_run_id, name, model_name, algorithm, status, current_step, parameters,
                dataset_version, feature_set_version, code_version, seed, machine, requested_by)
            VALUES (@id, @parent, @name, @model, @algorithm, @status, @step, @parameters::jsonb, @dataset, @featureSet, @code, @seed, @machine, @by)
            ON CONFLICT (run_id) DO NOTHING
            """);
        command.Parameters.AddWithValue("id", run.RunId);
        command.Parameters.AddWithValue("parent", (object?)run.ParentRunId ?? DBNull.Value);
        command.Parameters.AddWithValue("name", run.Name);
        command.Parameters.AddWithValue("model", run.ModelName);
        command.Parameters.AddWithValue("algorithm", run.Algorithm);
        command.Parameters.AddWithValue("status", run.Status);
        command.Parameters.AddWithValue("step", (object?)run.CurrentStep ?? DBNull.Value);
        command.Parameters.AddWithValue("parameters", run.Parameters.ToJsonString());
        command.Parameters.AddWithValue("dataset", (object?)run.DatasetVersion ?? DBNull.Value);
        command.Parameters.AddWithValue("featureSet", (object?)run.FeatureSetVersion ?? DBNull.Value);
        command.Parameters.AddWithValue("code", (object?)run.CodeVersion ?? DBNull.Value);
        command.Parameters.AddWithValue("seed", run.Seed);
        command.Parameters.AddWithValue("machine", (object?)run.Machine ?? DBNull.Value);
        command.Parameters.AddWithValue("by", (object?)run.RequestedBy ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Marks the step being worked on, unless the run already ended (a late step after a cancel).</summary>
    public async Task SetStepAsync(Guid runId, string step, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE training_runs SET status = 'Running', current_step = @step WHERE run_id = @id AND status IN ('Pending', 'Running')");
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("step", step);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Records that a step (again) started, unless the run already ended; a redelivered step restarts its timing and
    /// counts one more attempt, so the timeline shows the attempt that produced the step's outputs.
    /// </summary>
    public async Task StartStepAsync(Guid runId, string step, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO training_run_steps (run_id, step, status)
            SELECT run_id, @step, 'Running' FROM training_runs WHERE run_id = @id AND status IN ('Pending', 'Running')
            ON CONFLICT (run_id, step) DO UPDATE SET status = 'Running', attempts = training_run_steps.attempts + 1,
                started_at = clock_timestamp(), finished_at = NULL
            """);
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("step", step);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Ends a step's running attempt with <paramref name="status"/> (a step already ended keeps its end).</summary>
    public async Task EndStepAsync(Guid runId, string step, string status, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE training_run_steps SET status = @status, finished_at = clock_timestamp() WHERE run_id = @id AND step = @step AND finished_at IS NULL");
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("step", step);
        command.Parameters.AddWithValue("status", status);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Merges metrics into the run's (same name: the newer value wins); undefined (non-finite) values are not recorded.</summary>
    public async Task AddMetricsAsync(Guid runId, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE training_runs SET metrics = metrics || @metrics::jsonb WHERE run_id = @id");
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("metrics", JsonSerializer.Serialize(metrics.Where(m => double.IsFinite(m.Value)).ToDictionary()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records the fingerprint of the exact rows trained on.</summary>
    public async Task SetTrainingSetAsync(Guid runId, string sha256, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE training_runs SET training_set_sha256 = @sha WHERE run_id = @id");
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("sha", sha256);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Ends a run once (the first outcome wins) and records its duration. A step still open ends with the run (a run
    /// cancelled or timed out while a step ran, a registration the registry answered after the step was sent).
    /// </summary>
    public async Task FinishAsync(Guid runId, string status, string? failedStep, string? reason, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            WITH ended AS (
                UPDATE training_runs SET status = @status, failed_step = @step, failure_reason = @reason, finished_at = clock_timestamp(),
                    duration_ms = EXTRACT(EPOCH FROM (clock_timestamp() - started_at)) * 1000
                WHERE run_id = @id AND status IN ('Pending', 'Running')
                RETURNING run_id)
            UPDATE training_run_steps SET status = @status, finished_at = clock_timestamp()
            WHERE run_id IN (SELECT run_id FROM ended) AND finished_at IS NULL
            """);
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.AddWithValue("step", (object?)failedStep ?? DBNull.Value);
        command.Parameters.AddWithValue("reason", (object?)reason ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Stores (or replaces, on a redelivered step) an artifact and returns its SHA-256.</summary>
    public async Task<string> PutArtifactAsync(Guid runId, string name, string contentType, byte[] content, CancellationToken cancellationToken)
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        await using var command = dataSource.CreateCommand("""
            INSERT INTO training_artifacts (run_id, name, content_type, sha256, size, content) VALUES (@id, @name, @type, @sha, @size, @content)
            ON CONFLICT (run_id, name) DO UPDATE SET content_type = excluded.content_type, sha256 = excluded.sha256, size = excluded.size,
                content = excluded.content, created_at = clock_timestamp()
            """);
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("type", contentType);
        command.Parameters.AddWithValue("sha", sha);
        command.Parameters.AddWithValue("size", (long)content.Length);
        command.Parameters.Add(new NpgsqlParameter("content", NpgsqlDbType.Bytea) { Value = content });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return sha;
    }

    /// <summary>An artifact with its bytes, verified against its recorded hash; null when absent.</summary>
    public async Task<StoredArtifact?> GetArtifactAsync(Guid runId, string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT name, content_type, sha256, size, content FROM training_artifacts WHERE run_id = @id AND name = @name");
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("name", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var info = new ArtifactInfo(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3));
        var content = (byte[])reader[4];
        if (Convert.ToHexStringLower(SHA256.HashData(content)) != info.Sha256)
        {
            throw new InvalidDataException($"Artifact {name} of run {runId} no longer matches its SHA-256.");
        }

        return new StoredArtifact(info, content);
    }

    /// <summary>One run with its artifacts and child runs; null when unknown.</summary>
    public async Task<RunRecord?> GetAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM training_runs WHERE run_id = @id");
        command.Parameters.AddWithValue("id", runId);
        var run = (await ReadRunsAsync(command, cancellationToken)).SingleOrDefault();
        if (run is null)
        {
            return null;
        }

        var artifacts = new List<ArtifactInfo>();
        await using (var a = dataSource.CreateCommand("SELECT name, content_type, sha256, size FROM training_artifacts WHERE run_id = @id ORDER BY name"))
        {
            a.Parameters.AddWithValue("id", runId);
            await using var reader = await a.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                artifacts.Add(new ArtifactInfo(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
            }
        }

        var children = new List<Guid>();
        await using (var c = dataSource.CreateCommand("SELECT run_id FROM training_runs WHERE parent_run_id = @id ORDER BY started_at, name"))
        {
            c.Parameters.AddWithValue("id", runId);
            await using var reader = await c.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                children.Add(reader.GetGuid(0));
            }
        }

        var steps = new List<RunStep>();
        await using (var s = dataSource.CreateCommand("""
            SELECT step, status, attempts, started_at, finished_at, EXTRACT(EPOCH FROM (finished_at - started_at)) * 1000
            FROM training_run_steps WHERE run_id = @id ORDER BY started_at, step
            """))
        {
            s.Parameters.AddWithValue("id", runId);
            await using var reader = await s.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                steps.Add(new RunStep(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetFieldValue<DateTimeOffset>(3),
                    reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetDouble(5)));
            }
        }

        return run with { Artifacts = artifacts, ChildRunIds = children, Steps = steps };
    }

    /// <summary>The newest top-level runs (optionally of one model), newest first.</summary>
    public async Task<IReadOnlyList<RunRecord>> ListAsync(string? modelName, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {Columns} FROM training_runs
            WHERE parent_run_id IS NULL AND (@model::text IS NULL OR model_name = @model)
            ORDER BY started_at DESC LIMIT @limit
            """);
        command.Parameters.AddWithValue("model", NpgsqlDbType.Text, (object?)modelName ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", limit);
        return await ReadRunsAsync(command, cancellationToken);
    }

    static async Task<List<RunRecord>> ReadRunsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var runs = new List<RunRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(new RunRecord
            {
                RunId = reader.GetGuid(0),
                ParentRunId = reader.IsDBNull(1) ? null : reader.GetGuid(1),
                Name = reader.GetString(2),
                ModelName = reader.GetString(3),
                Algorithm = reader.GetString(4),
                Status = reader.GetString(5),
                CurrentStep = Text(reader, 6),
                Parameters = JsonNode.Parse(reader.GetString(7))!,
                Metrics = JsonSerializer.Deserialize<Dictionary<string, double>>(reader.GetString(8))!,
                DatasetVersion = Text(reader, 9),
                FeatureSetVersion = Text(reader, 10),
                TrainingSetSha256 = Text(reader, 11),
                CodeVersion = Text(reader, 12),
                Seed = reader.GetInt32(13),
                Machine = Text(reader, 14),
                RequestedBy = Text(reader, 15),
                StartedAt = reader.GetFieldValue<DateTimeOffset>(16),
                FinishedAt = reader.IsDBNull(17) ? null : reader.GetFieldValue<DateTimeOffset>(17),
                DurationMs = reader.IsDBNull(18) ? null : reader.GetDouble(18),
                FailedStep = Text(reader, 19),
                FailureReason = Text(reader, 20),
            });
        }

        return runs;
    }

    static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
