using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Mlops.ServiceDefaults.Configuration;
using Mlops.Testing.Infrastructure;

namespace Mlops.Testing;

/// <summary>
/// The real PostgreSQL, RabbitMQ and Kafka: the processes <c>infra/local/infra.sh</c> runs, or containers where a Docker
/// engine answers (<see cref="InfrastructureSelection"/>, <c>MLOPS_TEST_INFRA</c>). Locally the idempotent script is run
/// once per test process (unless the caller says it already did), so a plain <c>dotnet test</c> works too.
/// </summary>
public static class PlatformInfrastructure
{
    static readonly Lazy<IConfiguration> LazyConfiguration = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The repository root (the folder holding <c>Microservices.sln</c>).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Configuration as services see it: the env file plus environment variables.</summary>
    public static IConfiguration Configuration => LazyConfiguration.Value;

    /// <summary>The env file path, for passing to child processes.</summary>
    public static string EnvFilePath =>
        // Loading first: it runs infra.sh (or starts the containers and points PLATFORM_ENV_FILE at their file).
        Configuration is not null && EnvFile.Locate(RepositoryRoot) is { } path
            ? path
            : throw new InvalidOperationException("The platform env file does not exist.");

    /// <summary>A connection string by name, failing clearly when absent.</summary>
    public static string ConnectionString(string name) =>
        Configuration.GetConnectionString(name) ?? throw new InvalidOperationException($"ConnectionStrings:{name} is missing from the platform env file.");

    /// <summary>A fresh name for a topic, queue or group, so tests never see each other's messages.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    /// <summary>
    /// Creates a fresh database for one test collection, so tables that hash or count "everything" (dataset versions,
    /// backfills) see only that collection's rows. Returns its connection string.
    /// </summary>
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 11)];
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString("postgres"));
        await using (var server = Npgsql.NpgsqlDataSource.Create(builder.ConnectionString))
        await using (var create = server.CreateCommand($"CREATE DATABASE \"{name}\""))
        {
            // The name is generated above from a prefix in code and a GUID, never from input.
            await create.ExecuteNonQueryAsync();
        }

        builder.Database = name;
        return builder.ConnectionString;
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/> (a benchmark's gigabytes are not left behind).</summary>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var server = Npgsql.NpgsqlDataSource.Create(ConnectionString("postgres"));
        // The name is one CreateDatabaseAsync generated (a prefix in code and a GUID), never input.
        await using var drop = server.CreateCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Where this process's infrastructure comes from (<see cref="InfrastructureSelection"/>).</summary>
    public static InfrastructureMode Mode => LazyMode.Value;

    static readonly Lazy<InfrastructureMode> LazyMode = new(InfrastructureSelection.FromEnvironment, LazyThreadSafetyMode.ExecutionAndPublication);

    static IConfiguration Load()
    {
        if (Mode == InfrastructureMode.Containers)
        {
            // Child processes inherit the variable, so services started by tests read the containers' env file too.
            ContainerInfrastructure.UseEnvFile(ContainerInfrastructure.StartAsync(RepositoryRoot).GetAwaiter().GetResult());
        }
        else if (Environment.GetEnvironmentVariable("MLOPS_INFRA_READY") != "1")
        {
            // The env file outlives the servers (after a reboot or `down`), so always ask the idempotent script;
            // with everything up it returns in well under a second. CI has already run it.
            RunInfrastructureScript();
        }

        return new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddPlatformEnvFile(RepositoryRoot)
            .Build();
    }

    static void RunInfrastructureScript()
    {
        var script = Path.Combine(RepositoryRoot, "infra", "local", "infra.sh");
        using var process = Process.Start(new ProcessStartInfo("bash", [script, "up"]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("Could not start " + script);
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} up failed with exit code {process.ExitCode}.");
        }
    }

    static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Microservices.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Microservices.sln not found above " + AppContext.BaseDirectory);
    }
}
