using System.Security.Cryptography;
using Mlops.ServiceDefaults.Configuration;
using Npgsql;
using Testcontainers.Kafka;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace Mlops.Testing.Infrastructure;

/// <summary>
/// PostgreSQL, RabbitMQ (with management) and a current Kafka as throwaway containers, provisioned like infra.sh
/// provisions the local processes (the same databases, the platform topics with 3 partitions), and an env file of the
/// same shape at <c>.local/containers/platform.env</c>. Testcontainers' reaper removes the containers when the test
/// process ends. Needs a Docker engine: the project's own machines have none, so this path is compiled, not run, there.
/// </summary>
public static class ContainerInfrastructure
{
    const string PostgresImage = "postgres:15";
    const string RabbitImage = "rabbitmq:3.13-management";
    const string KafkaImage = "confluentinc/cp-kafka:7.5.12";
    const ushort RabbitManagementPort = 15672;

    /// <summary>The env file the containers are described in, relative to the repository root.</summary>
    public const string RelativeEnvFile = ".local/containers/platform.env";

    /// <summary>Starts and provisions the containers; returns the env file describing them.</summary>
    public static async Task<string> StartAsync(string repositoryRoot, CancellationToken cancellationToken = default)
    {
        var postgresPassword = NewSecret();
        var rabbitPassword = NewSecret();
        var postgres = new PostgreSqlBuilder(PostgresImage)
            .WithUsername("mlops").WithPassword(postgresPassword).WithDatabase("postgres")
            .Build();
        var rabbit = new RabbitMqBuilder(RabbitImage)
            .WithUsername("mlops").WithPassword(rabbitPassword)
            .WithPortBinding(RabbitManagementPort, assignRandomHostPort: true)
            .Build();
        var kafka = new KafkaBuilder(KafkaImage).Build();

        await Task.WhenAll(
            postgres.StartAsync(cancellationToken),
            rabbit.StartAsync(cancellationToken),
            kafka.StartAsync(cancellationToken));

        var endpoints = new ContainerEndpoints
        {
            Host = postgres.Hostname,
            PostgresPort = postgres.GetMappedPublicPort(PostgreSqlBuilder.PostgreSqlPort),
            PostgresUser = "mlops",
            PostgresPassword = postgresPassword,
            RabbitPort = rabbit.GetMappedPublicPort(RabbitMqBuilder.RabbitMqPort),
            RabbitManagementPort = rabbit.GetMappedPublicPort(RabbitManagementPort),
            RabbitUser = "mlops",
            RabbitPassword = rabbitPassword,
            KafkaBootstrap = HostAndPort(kafka.GetBootstrapAddress()),
        };
        var lines = ContainerSettings.Build(endpoints, DefaultCacheDirectory());

        await CreateDatabasesAsync(lines.Single(l => l.Key == "ConnectionStrings__postgres").Value, cancellationToken);
        await CreateTopicsAsync(kafka, PlatformTopics.Read(repositoryRoot), cancellationToken);

        var path = Path.Combine(repositoryRoot, RelativeEnvFile);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, ContainerSettings.Render(lines), cancellationToken);
        return path;
    }

    /// <summary><c>host:port</c> from an address that may carry a scheme (<c>plaintext://host:port/</c>).</summary>
    public static string HostAndPort(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var start = address.IndexOf("://", StringComparison.Ordinal);
        return (start >= 0 ? address[(start + 3)..] : address).TrimEnd('/');
    }

    static async Task CreateDatabasesAsync(string serverConnectionString, CancellationToken cancellationToken)
    {
        await using var server = NpgsqlDataSource.Create(serverConnectionString);
        foreach (var (_, database) in ContainerSettings.Databases)
        {
            // Names come from the fixed list above, never from input; identifiers cannot be parameters.
            await using var create = server.CreateCommand($"CREATE DATABASE \"{database}\"");
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    // Inside the container, the broker-internal listener advertises an address that resolves there; the published
    // listener advertises the host's mapped port.
    static async Task CreateTopicsAsync(KafkaContainer kafka, IReadOnlyList<string> topics, CancellationToken cancellationToken)
    {
        foreach (var topic in topics)
        {
            var result = await kafka.ExecAsync(
                ["kafka-topics", "--bootstrap-server", $"localhost:{KafkaBuilder.BrokerPort}", "--create", "--if-not-exists", "--topic", topic,
                 "--partitions", PlatformTopics.Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture), "--replication-factor", "1"],
                cancellationToken);
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException($"Creating topic {topic} in the Kafka container failed: {result.Stderr}");
            }
        }
    }

    static string DefaultCacheDirectory() =>
        Environment.GetEnvironmentVariable("MLOPS_CACHE_DIR")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "mlops-platform");

    // Hex, as infra.sh generates them, so connection strings need no escaping.
    static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Makes <see cref="EnvFile.Locate"/> (here and in every child process) find <paramref name="path"/>.</summary>
    public static void UseEnvFile(string path) => Environment.SetEnvironmentVariable(EnvFile.PathVariable, path);
}
