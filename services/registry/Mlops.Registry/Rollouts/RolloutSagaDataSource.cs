using Npgsql;

namespace Mlops.Registry.Rollouts;

/// <summary>
/// The database connections of the rollout saga: the registry's connection string with the registry's schema as search
/// path, so the saga's tables (instances, outbox, inbox) live beside the model streams they drive. Without it they land in
/// the database's default schema, where every registry sharing the database (another schema, another environment, a
/// concurrently running test host) would find, sweep and analyse the others' rollouts against its own inference pods.
/// </summary>
public sealed class RolloutSagaDataSource : IAsyncDisposable
{
    public RolloutSagaDataSource(IConfiguration configuration, RegistryStoreOptions store, IHostEnvironment environment)
    {
        var schema = store.ValidatedSchema();
        var builder = new NpgsqlDataSourceBuilder(configuration.GetConnectionString("registry"));
        builder.ConnectionStringBuilder.ApplicationName ??= environment.ApplicationName;
        builder.ConnectionStringBuilder.SearchPath = schema;
        // The saga may run before Marten has created the schema (Marten creates it on first use); the name is validated
        // against the schema pattern, so quoting it is safe.
        builder.UsePhysicalConnectionInitializer(
            connection => EnsureSchemaAsync(connection, schema).GetAwaiter().GetResult(),
            connection => EnsureSchemaAsync(connection, schema));
        DataSource = builder.Build();
    }

    public NpgsqlDataSource DataSource { get; }

    static async Task EnsureSchemaAsync(NpgsqlConnection connection, string schema)
    {
        await using var command = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS \"{schema}\"", connection);
        try
        {
            await command.ExecuteNonQueryAsync();
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateSchema)
        {
            // Another connection created it at the same moment.
        }
    }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
