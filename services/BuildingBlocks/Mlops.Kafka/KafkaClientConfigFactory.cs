using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Mlops.Kafka;

/// <summary>Builds librdkafka client configurations from <see cref="KafkaOptions"/>.</summary>
public sealed class KafkaClientConfigFactory(IOptions<KafkaOptions> options)
{
    // Every client the platform builds starts from one of these configurations, so this runs before the first one.
    static KafkaClientConfigFactory() => LibrdkafkaResolver.Register();

    /// <summary>
    /// A factory over the <c>Kafka</c> section of <paramref name="configuration"/>, for a client built outside a host's
    /// container (a command-line tool, a test's own reader) with the settings the services get.
    /// </summary>
    public static KafkaClientConfigFactory From(IConfiguration configuration)
    {
        var options = new KafkaOptions();
        configuration.GetSection(KafkaOptions.SectionName).Bind(options);
        return new KafkaClientConfigFactory(Microsoft.Extensions.Options.Options.Create(options));
    }

    /// <summary>The bound options.</summary>
    public KafkaOptions Options => options.Value;

    /// <summary>Producer settings: acknowledged by all in-sync replicas, short linger for batching.</summary>
    public ProducerConfig CreateProducerConfig(string clientId)
    {
        var config = new ProducerConfig
        {
            ClientId = clientId,
            Acks = Acks.All,
            LingerMs = 2,
            MessageSendMaxRetries = 10,
            RetryBackoffMs = 100,
        };
        return Apply(config);
    }

    /// <summary>
    /// Consumer settings for at-least-once delivery: offsets are stored only after the handler succeeded
    /// and committed by the consumer host, never automatically.
    /// </summary>
    public ConsumerConfig CreateConsumerConfig(string groupId, string clientId)
    {
        var config = new ConsumerConfig
        {
            GroupId = groupId,
            ClientId = clientId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnablePartitionEof = false,
        };
        if (Options.SessionTimeoutMs is { } sessionTimeout)
        {
            config.SessionTimeoutMs = sessionTimeout;
        }

        return Apply(config);
    }

    /// <summary>Settings for metadata queries and topic administration.</summary>
    public AdminClientConfig CreateAdminConfig(string clientId) => Apply(new AdminClientConfig { ClientId = clientId });

    T Apply<T>(T config)
        where T : ClientConfig
    {
        if (string.IsNullOrWhiteSpace(Options.BootstrapServers))
        {
            throw new InvalidOperationException("Kafka:BootstrapServers is not configured (environment variable Kafka__BootstrapServers).");
        }

        config.BootstrapServers = Options.BootstrapServers;
        if (Options.ApiVersionRequest is { } apiVersionRequest)
        {
            config.ApiVersionRequest = apiVersionRequest;
        }

        if (!string.IsNullOrWhiteSpace(Options.BrokerVersionFallback))
        {
            config.BrokerVersionFallback = Options.BrokerVersionFallback;
        }

        foreach (var (key, value) in Options.Config)
        {
            config.Set(key, value);
        }

        return config;
    }
}
