using Npgsql;

namespace Mlops.ServiceDefaults;

/// <summary>
/// Creates a component's tables on first use, once per process, serialised between processes by a transaction-level
/// advisory lock. Lazy rather than at start-up, so a service starts — live, not ready — while its database is down.
/// </summary>
/// <param name="dataSource">The service's database.</param>
/// <param name="ddl">Idempotent DDL (<c>CREATE … IF NOT EXISTS</c>); a constant, never built from input.</param>
/// <param name="advisoryLockKey">A key unique to the component, so unrelated schemas do not wait for each other.</param>
public sealed class DatabaseSchema(NpgsqlDataSource dataSource, string ddl, long advisoryLockKey)
{
    readonly SemaphoreSlim _lock = new(1, 1);
    volatile bool _ready;

    /// <summary>The data source.</summary>
    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>Opens a connection, creating the schema first if this process has not yet.</summary>
    public async Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken);
        return await dataSource.OpenConnectionAsync(cancellationToken);
    }

    /// <summary>Creates the schema if this process has not done so yet.</summary>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (_ready)
        {
            return;
        }

        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_ready)
            {
                return;
            }

            try
            {
                await CreateAsync(cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateSchema or PostgresErrorCodes.DuplicateTable)
            {
                // "IF NOT EXISTS" is not atomic against a creator outside our advisory lock (Marten creates the same
                // schema in the registry): the other side has finished by now, so the second attempt finds the objects.
                await CreateAsync(cancellationToken);
            }

            _ready = true;
        }
        finally
        {
            _lock.Release();
        }
    }

    async Task CreateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var advisory = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            advisory.Parameters.Add(new NpgsqlParameter { Value = advisoryLockKey });
            await advisory.ExecuteNonQueryAsync(cancellationToken);
        }

        // An upgrade step in the DDL may touch every row of a large table: the default 30 s would cancel it, roll it
        // back and start it again on the next use, forever.
        await using (var create = new NpgsqlCommand(ddl, connection, transaction) { CommandTimeout = (int)TimeSpan.FromMinutes(30).TotalSeconds })
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
