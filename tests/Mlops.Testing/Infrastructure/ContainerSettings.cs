namespace Mlops.Testing.Infrastructure;

/// <summary>
/// The env file for containers: the same <c>KEY=VALUE</c> lines infra.sh writes for the local processes, so tests and
/// the service processes they start read one format whichever infrastructure runs.
/// </summary>
public static class ContainerSettings
{
    /// <summary>The databases infra.sh provisions (lib/postgres.sh), with the key each connection string has.</summary>
    public static readonly IReadOnlyList<(string Key, string Database)> Databases =
    [
        ("ingestion", "ingestion"), ("features", "features"), ("training", "training"), ("registry", "registry"),
        ("inference", "inference"), ("monitoring", "monitoring"), ("gateway", "gateway"), ("tests", "platform_tests"),
    ];

    /// <summary>Keys of the local env file that have no counterpart here (ZooKeeper is internal to the Kafka container).</summary>
    // ZooKeeper is reached only by the local scripts; the manifest validator is a tool platform.sh runs, not a setting of the tests.
    public static readonly IReadOnlySet<string> LocalOnlyKeys = new HashSet<string>(StringComparer.Ordinal) { "ZooKeeper__Connect", "MLOPS_K8S_VALIDATE_DIR" };

    /// <summary>The env file's lines, in order, for containers answering at <paramref name="endpoints"/>.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Build(ContainerEndpoints endpoints, string cacheDirectory)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var cs = $"Host={endpoints.Host};Port={endpoints.PostgresPort};Username={endpoints.PostgresUser};Password={endpoints.PostgresPassword};Database=";
        List<KeyValuePair<string, string>> lines =
        [
            new("PLATFORM_CACHE_DIR", cacheDirectory),
            new("ConnectionStrings__postgres", cs + "postgres"),
        ];
        lines.AddRange(Databases.Select(d => new KeyValuePair<string, string>("ConnectionStrings__" + d.Key, cs + d.Database)));
        lines.AddRange(
        [
            new("RabbitMq__Host", endpoints.Host),
            new("RabbitMq__Port", endpoints.RabbitPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("RabbitMq__VirtualHost", "/"),
            new("RabbitMq__Username", endpoints.RabbitUser),
            new("RabbitMq__Password", endpoints.RabbitPassword),
            new("RabbitMq__ManagementUrl", $"http://{endpoints.Host}:{endpoints.RabbitManagementPort}"),
            new("Kafka__BootstrapServers", endpoints.KafkaBootstrap),
            // A current broker answers ApiVersions, so the 0.9 workaround the local broker needs is switched off.
            new("Kafka__ApiVersionRequest", "true"),
            new("Kafka__BrokerVersionFallback", "0.10.0"),
            new("Kafka__SessionTimeoutMs", "30000"),
            new("MLOPS_API_KEY", endpoints.ApiKey),
        ]);
        return lines;
    }

    /// <summary>The lines as file content (no quotes: the values never contain line breaks).</summary>
    public static string Render(IEnumerable<KeyValuePair<string, string>> lines) =>
        string.Join('\n', lines.Select(l => $"{l.Key}={l.Value}")) + "\n";
}
