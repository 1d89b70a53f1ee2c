namespace Mlops.Kafka;

/// <summary>
/// Broker connection settings, bound from the <c>Kafka</c> configuration section. The broker-version
/// settings are what lets the same code talk to the local Kafka 0.9 and to a modern broker.
/// </summary>
public sealed class KafkaOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Kafka";

    /// <summary>Comma-separated <c>host:port</c> list.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>
    /// Whether to ask the broker which protocol versions it supports. Brokers before 0.10 do not answer
    /// that request, so the local setup turns it off and names the version in <see cref="BrokerVersionFallback"/>.
    /// </summary>
    public bool? ApiVersionRequest { get; set; }

    /// <summary>Broker version assumed when <see cref="ApiVersionRequest"/> is off, e.g. <c>0.9.0</c>.</summary>
    public string? BrokerVersionFallback { get; set; }

    /// <summary>Consumer group session timeout; must lie within the broker's allowed range.</summary>
    public int? SessionTimeoutMs { get; set; }

    /// <summary>Value of the envelope's <c>source</c>; defaults to <c>/services/{application name}</c>.</summary>
    public string? Source { get; set; }

    /// <summary>Topic for records consumers give up on.</summary>
    public string DeadLetterTopic { get; set; } = Contracts.Kafka.Topics.DeadLetter;

    /// <summary>
    /// First pause of a consumer whose handler's dependency (database, broker, another service) did not answer; doubled
    /// per retry of the same records up to <see cref="DependencyMaxBackoff"/>. <c>Kafka:DependencyInitialBackoff</c>.
    /// </summary>
    public TimeSpan DependencyInitialBackoff { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest pause between retries while a dependency is down: also the longest delay before noticing it is back.</summary>
    public TimeSpan DependencyMaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Raw librdkafka settings applied to every client, for anything not modelled above.</summary>
    public IDictionary<string, string> Config { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
