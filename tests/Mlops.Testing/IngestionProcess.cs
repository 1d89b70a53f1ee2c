namespace Mlops.Testing;

/// <summary>
/// The ingestion service as a process of its own for tests and benchmarks that need real dataset versions or a real
/// intake: its own database and topics (connection settings, never behaviour), everything else as shipped.
/// </summary>
public static class IngestionProcess
{
    public const string Project = "services/ingestion/Mlops.Ingestion";

    /// <summary>
    /// Starts ingestion on <paramref name="connectionString"/>, publishing accepted observations to
    /// <paramref name="acceptedTopic"/> and reading raw ones from <paramref name="rawTopic"/> in an intake group of its
    /// own; <paramref name="more"/> adds environment settings (other topics, log level, a RabbitMQ virtual host).
    /// </summary>
    public static ServiceProcess Start(string connectionString, string acceptedTopic, string rawTopic, IReadOnlyDictionary<string, string>? more = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__ingestion"] = connectionString,
            ["Ingestion__AcceptedTopic"] = acceptedTopic,
            ["Ingestion__RawTopic"] = rawTopic,
            ["Ingestion__IntakeGroup"] = PlatformInfrastructure.UniqueName("intake"),
        };
        foreach (var (name, value) in more ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }

        return ServiceProcess.Start(Project, environment);
    }
}
