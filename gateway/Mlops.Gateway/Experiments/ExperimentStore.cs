using Npgsql;

namespace Mlops.Gateway.Experiments;

/// <summary>Experiments and their per-arm counts in the gateway's database (parameterized SQL only).</summary>
public sealed class ExperimentStore(NpgsqlDataSource dataSource)
{
    readonly SemaphoreSlim _schemaLock = new(1, 1);
    volatile bool _schemaReady;

    const string Schema = """
        CREATE TABLE IF NOT EXISTS gateway_experiments (
            id uuid PRIMARY KEY,
            name text NOT NULL,
            model_name text NOT NULL,
            alpha double precision NOT NULL,
            mixing_variance double precision NOT NULL,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp());
        CREATE TABLE IF NOT EXISTS gateway_experiment_arms (
            experiment_id uuid NOT NULL REFERENCES gateway_experiments (id) ON DELETE CASCADE,
            position integer NOT NULL,
            name text NOT NULL,
            variant text NOT NULL,
            weight double precision NOT NULL,
            trials bigint NOT NULL DEFAULT 0,
            successes bigint NOT NULL DEFAULT 0,
            min_p_value double precision NOT NULL DEFAULT 1,
            PRIMARY KEY (experiment_id, name));
        ALTER TABLE gateway_experiments ADD COLUMN IF NOT EXISTS outcome_success text NULL;
        ALTER TABLE gateway_experiments ADD COLUMN IF NOT EXISTS outcome_threshold double precision NULL;
        CREATE TABLE IF NOT EXISTS gateway_experiment_looks (
            experiment_id uuid NOT NULL REFERENCES gateway_experiments (id) ON DELETE CASCADE,
            look bigint NOT NULL,
            position integer NOT NULL,
            arm text NOT NULL,
            looked_at timestamptz NOT NULL,
            trials bigint NOT NULL,
            successes bigint NOT NULL,
            p_value double precision NULL,
            min_p_value double precision NULL,
            PRIMARY KEY (experiment_id, look, position));
        ALTER TABLE gateway_experiments ADD COLUMN IF NOT EXISTS stopped_at timestamptz NULL;
        ALTER TABLE gateway_experiments ADD COLUMN IF NOT EXISTS stopped_by text NULL;
        ALTER TABLE gateway_experiments ADD COLUMN IF NOT EXISTS stop_reason text NULL;
        """;

    /// <summary>Creates the tables once per process (idempotent; an advisory lock orders concurrent start-ups).</summary>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady)
        {
            return;
        }

        await _schemaLock.WaitAsync(cancellationToken);
        try
        {
            if (!_schemaReady)
            {
                await CreateSchemaAsync(cancellationToken);
                _schemaReady = true;
            }
        }
        finally
        {
            _schemaLock.Release();
        }
    }

    async Task CreateSchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(727274301)", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var create = new NpgsqlCommand(Schema, connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task CreateAsync(Experiment experiment, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO gateway_experiments (id, name, model_name, alpha, mixing_variance, created_at, outcome_success, outcome_threshold) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            connection, transaction))
        {
            insert.Parameters.Add(new() { Value = experiment.Id });
            insert.Parameters.Add(new() { Value = experiment.Name });
            insert.Parameters.Add(new() { Value = experiment.ModelName });
            insert.Parameters.Add(new() { Value = experiment.Alpha });
            insert.Parameters.Add(new() { Value = experiment.MixingVariance });
            insert.Parameters.Add(new() { Value = experiment.CreatedAt });
            insert.Parameters.Add(new() { Value = (object?)experiment.Outcome?.Success ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            insert.Parameters.Add(new() { Value = (object?)experiment.Outcome?.Threshold ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        for (var i = 0; i < experiment.Arms.Count; i++)
        {
            var arm = experiment.Arms[i];
            await using var insertArm = new NpgsqlCommand(
                "INSERT INTO gateway_experiment_arms (experiment_id, position, name, variant, weight) VALUES ($1, $2, $3, $4, $5)", connection, transaction);
            insertArm.Parameters.Add(new() { Value = experiment.Id });
            insertArm.Parameters.Add(new() { Value = i });
            insertArm.Parameters.Add(new() { Value = arm.Name });
            insertArm.Parameters.Add(new() { Value = arm.Variant });
            insertArm.Parameters.Add(new() { Value = arm.Weight });
            await insertArm.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<Experiment?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await LoadAsync(connection, null, id, forUpdate: false, cancellationToken);
    }

    public Task<IReadOnlyList<Experiment>> ListAsync(string? modelName, CancellationToken cancellationToken) =>
        QueryAsync(ListByModel, [new() { Value = (object?)modelName ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text }], cancellationToken);

    /// <summary>Experiments whose outcomes monitoring counts, created at or after <paramref name="createdSince"/>.</summary>
    public Task<IReadOnlyList<Experiment>> ListFedAsync(DateTimeOffset createdSince, CancellationToken cancellationToken) =>
        QueryAsync(ListFed, [new() { Value = createdSince }], cancellationToken);

    const string ListByModel = "WHERE $1::text IS NULL OR model_name = $1";
    const string ListFed = "WHERE outcome_success IS NOT NULL AND stopped_at IS NULL AND created_at >= $1";

    // Two statements for any number of experiments (the arms of all of them in one), not one pair per experiment.
    async Task<IReadOnlyList<Experiment>> QueryAsync(string filter, NpgsqlParameter[] parameters, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        var experiments = new List<Experiment>();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var select = new NpgsqlCommand(
            "SELECT id, name, model_name, alpha, mixing_variance, created_at, outcome_success, outcome_threshold, stopped_at, stopped_by, stop_reason FROM gateway_experiments "
            + filter + " ORDER BY created_at DESC LIMIT 500", connection))
        {
            select.Parameters.AddRange(parameters);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                experiments.Add(ReadExperiment(reader, 1, reader.GetGuid(0)));
            }
        }

        var arms = experiments.ToDictionary(e => e.Id, _ => new List<ExperimentArm>());
        await using (var selectArms = new NpgsqlCommand(
            "SELECT experiment_id, name, variant, weight, trials, successes, min_p_value FROM gateway_experiment_arms WHERE experiment_id = ANY($1) ORDER BY experiment_id, position",
            connection))
        {
            selectArms.Parameters.Add(new() { Value = arms.Keys.ToArray() });
            await using var reader = await selectArms.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                arms[reader.GetGuid(0)].Add(ReadArm(reader, 1));
            }
        }

        return experiments.Select(e => e with { Arms = arms[e.Id] }).ToList();
    }

    /// <summary>
    /// Adds outcome counts to arms and records this look's p-values in each arm's running minimum, in one
    /// transaction holding the experiment's rows, so concurrent batches neither lose counts nor skip a look.
    /// Returns null when the experiment does not exist.
    /// </summary>
    public Task<Experiment?> AddObservationsAsync(Guid id, IReadOnlyDictionary<string, (long Trials, long Successes)> increments, CancellationToken cancellationToken) =>
        LookAsync(id, arm => increments.TryGetValue(arm.Name, out var inc) ? inc : (0, 0), cancellationToken);

    /// <summary>
    /// Brings arms up to the cumulative counts monitoring reports and takes a look when any grew. The increments are
    /// computed under the experiment's row lock, so gateway replicas feeding the same experiment never count a unit
    /// twice; a total below the stored count (labels re-joined differently) adds nothing. Null when the experiment is gone.
    /// </summary>
    public Task<Experiment?> SetTotalsAsync(Guid id, IReadOnlyDictionary<string, (long Trials, long Successes)> totals, CancellationToken cancellationToken) =>
        LookAsync(id, arm => totals.TryGetValue(arm.Name, out var total) && total.Trials > arm.Trials
            ? (total.Trials - arm.Trials, Math.Clamp(total.Successes - arm.Successes, 0, total.Trials - arm.Trials))
            : (0, 0), cancellationToken);

    async Task<Experiment?> LookAsync(Guid id, Func<ExperimentArm, (long Trials, long Successes)> increment, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var experiment = await LoadAsync(connection, transaction, id, forUpdate: true, cancellationToken);
        if (experiment is null)
        {
            return null;
        }

        if (experiment.Stopped is not null)
        {
            // Stopped under this same lock by another request: its counts stay as they were stopped.
            return experiment;
        }

        var counted = experiment with
        {
            Arms = experiment.Arms.Select(a => increment(a) is var (trials, successes) && trials + successes > 0
                ? a with { Trials = a.Trials + trials, Successes = a.Successes + successes }
                : a).ToList(),
        };
        var tests = ExperimentAnalysis.Test(counted);
        var looked = counted with
        {
            Arms = counted.Arms.Select((a, i) => tests[i] is { } t ? a with { MinPValue = MixtureSprt.RunningMinimum(a.MinPValue, t.PValue) } : a).ToList(),
        };
        // A look is when counts arrived; a poll that brought nothing new is no look and is not recorded.
        if (looked.Arms.Zip(experiment.Arms).Any(pair => pair.First.Trials != pair.Second.Trials || pair.First.Successes != pair.Second.Successes))
        {
            await RecordLookAsync(connection, transaction, id, looked, tests, cancellationToken);
        }

        foreach (var arm in looked.Arms)
        {
            await using var update = new NpgsqlCommand(
                "UPDATE gateway_experiment_arms SET trials = $3, successes = $4, min_p_value = $5 WHERE experiment_id = $1 AND name = $2", connection, transaction);
            update.Parameters.Add(new() { Value = id });
            update.Parameters.Add(new() { Value = arm.Name });
            update.Parameters.Add(new() { Value = arm.Trials });
            update.Parameters.Add(new() { Value = arm.Successes });
            update.Parameters.Add(new() { Value = arm.MinPValue });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return looked;
    }

    /// <summary>
    /// Stops a running experiment: from now on it takes no counts and no looks, and monitoring is no longer asked for
    /// it. Under the row lock that counting takes, so no count lands after the stop. Null when it does not exist; an
    /// experiment stopped before is returned as it was (the first stop stands).
    /// </summary>
    public async Task<Experiment?> StopAsync(Guid id, ExperimentStop stop, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var experiment = await LoadAsync(connection, transaction, id, forUpdate: true, cancellationToken);
        if (experiment is null || experiment.Stopped is not null)
        {
            return experiment;
        }

        await using (var update = new NpgsqlCommand(
            "UPDATE gateway_experiments SET stopped_at = $2, stopped_by = $3, stop_reason = $4 WHERE id = $1", connection, transaction))
        {
            update.Parameters.Add(new() { Value = id });
            update.Parameters.Add(new() { Value = stop.At });
            update.Parameters.Add(new() { Value = stop.By });
            update.Parameters.Add(new() { Value = stop.Reason });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return experiment with { Stopped = stop };
    }

    // Under the experiment's row lock (FOR UPDATE in LookAsync), so look numbers neither collide nor skip across replicas.
    static async Task RecordLookAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, Experiment looked, IReadOnlyList<SequentialResult?> tests, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand("""
            INSERT INTO gateway_experiment_looks (experiment_id, look, position, arm, looked_at, trials, successes, p_value, min_p_value)
            SELECT $1, COALESCE((SELECT max(look) FROM gateway_experiment_looks WHERE experiment_id = $1), 0) + 1, a.position, a.arm,
                clock_timestamp(), a.trials, a.successes, a.p_value, a.min_p_value
            FROM unnest($2::integer[], $3::text[], $4::bigint[], $5::bigint[], $6::double precision[], $7::double precision[])
                AS a (position, arm, trials, successes, p_value, min_p_value)
            """, connection, transaction);
        var arms = looked.Arms;
        insert.Parameters.Add(new() { Value = id });
        insert.Parameters.Add(new() { Value = Enumerable.Range(0, arms.Count).ToArray() });
        insert.Parameters.Add(new() { Value = arms.Select(a => a.Name).ToArray() });
        insert.Parameters.Add(new() { Value = arms.Select(a => a.Trials).ToArray() });
        insert.Parameters.Add(new() { Value = arms.Select(a => a.Successes).ToArray() });
        insert.Parameters.Add(new() { Value = tests.Select(t => t is null ? (double?)null : t.PValue).ToArray() });
        insert.Parameters.Add(new() { Value = arms.Select((a, i) => tests[i] is null ? (double?)null : a.MinPValue).ToArray() });
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The newest <paramref name="limit"/> looks, oldest first; null when the experiment does not exist.</summary>
    public async Task<IReadOnlyList<ExperimentLook>?> LooksAsync(Guid id, int limit, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM gateway_experiments WHERE id = $1", connection))
        {
            exists.Parameters.Add(new() { Value = id });
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                return null;
            }
        }

        await using var select = new NpgsqlCommand("""
            SELECT look, looked_at, arm, trials, successes, p_value, min_p_value FROM gateway_experiment_looks
            WHERE experiment_id = $1 AND look > COALESCE((SELECT max(look) FROM gateway_experiment_looks WHERE experiment_id = $1), 0) - $2
            ORDER BY look, position
            """, connection);
        select.Parameters.Add(new() { Value = id });
        select.Parameters.Add(new() { Value = (long)limit });
        var looks = new List<ExperimentLook>();
        var arms = new List<ExperimentLookArm>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var look = reader.GetInt64(0);
            if (looks.Count == 0 || looks[^1].Look != look)
            {
                arms = [];
                looks.Add(new ExperimentLook(look, reader.GetFieldValue<DateTimeOffset>(1), arms));
            }

            arms.Add(new ExperimentLookArm(reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4),
                reader.IsDBNull(5) ? null : reader.GetDouble(5), reader.IsDBNull(6) ? null : reader.GetDouble(6)));
        }

        return looks;
    }

    static async Task<Experiment?> LoadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, bool forUpdate, CancellationToken cancellationToken)
    {
        Experiment? experiment;
        await using (var select = new NpgsqlCommand(
            "SELECT name, model_name, alpha, mixing_variance, created_at, outcome_success, outcome_threshold, stopped_at, stopped_by, stop_reason FROM gateway_experiments WHERE id = $1"
            + (forUpdate ? " FOR UPDATE" : ""), connection, transaction))
        {
            select.Parameters.Add(new() { Value = id });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            experiment = ReadExperiment(reader, 0, id);
        }

        var arms = new List<ExperimentArm>();
        await using (var selectArms = new NpgsqlCommand(
            "SELECT name, variant, weight, trials, successes, min_p_value FROM gateway_experiment_arms WHERE experiment_id = $1 ORDER BY position", connection, transaction))
        {
            selectArms.Parameters.Add(new() { Value = id });
            await using var reader = await selectArms.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                arms.Add(ReadArm(reader, 0));
            }
        }

        return experiment with { Arms = arms };
    }

    // Columns from `first` on: name, model_name, alpha, mixing_variance, created_at, outcome_success, outcome_threshold.
    static Experiment ReadExperiment(NpgsqlDataReader reader, int first, Guid id) => new()
    {
        Id = id, Name = reader.GetString(first), ModelName = reader.GetString(first + 1), Alpha = reader.GetDouble(first + 2),
        MixingVariance = reader.GetDouble(first + 3), CreatedAt = reader.GetFieldValue<DateTimeOffset>(first + 4), Arms = [],
        Outcome = reader.IsDBNull(first + 5)
            ? null
            : new ExperimentOutcome { Success = reader.GetString(first + 5), Threshold = reader.IsDBNull(first + 6) ? null : reader.GetDouble(first + 6) },
        Stopped = reader.IsDBNull(first + 7)
            ? null
            : new ExperimentStop(reader.GetFieldValue<DateTimeOffset>(first + 7), reader.GetString(first + 8), reader.GetString(first + 9)),
    };

    // Columns from `first` on: name, variant, weight, trials, successes, min_p_value.
    static ExperimentArm ReadArm(NpgsqlDataReader reader, int first) => new()
    {
        Name = reader.GetString(first), Variant = reader.GetString(first + 1), Weight = reader.GetDouble(first + 2), Trials = reader.GetInt64(first + 3),
        Successes = reader.GetInt64(first + 4), MinPValue = reader.GetDouble(first + 5),
    };
}
