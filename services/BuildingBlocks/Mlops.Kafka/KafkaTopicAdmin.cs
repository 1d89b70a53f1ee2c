using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging;

namespace Mlops.Kafka;

/// <summary>
/// Makes sure topics exist before consumers subscribe. Brokers from 0.10.1 on create them through the admin
/// API; older brokers (the local 0.9) create a topic when its metadata is first asked for, so that is the fallback.
/// </summary>
public sealed class KafkaTopicAdmin(KafkaClientConfigFactory configFactory, ILogger<KafkaTopicAdmin> logger)
{
    /// <summary>Creates missing topics and waits until each has a leader for every partition.</summary>
    public async Task EnsureTopicsAsync(IEnumerable<string> topics, int partitions = 3, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var wanted = topics.Distinct(StringComparer.Ordinal).ToList();
        using var admin = new AdminClientBuilder(configFactory.CreateAdminConfig("topic-admin"))
            .SetLogHandler((_, message) => logger.LogDebug("librdkafka {Facility}: {Message}", message.Facility, message.Message))
            .Build();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));

        if (configFactory.Options.ApiVersionRequest != false)
        {
            try
            {
                await admin.CreateTopicsAsync(wanted.Select(t => new TopicSpecification { Name = t, NumPartitions = partitions, ReplicationFactor = 1 }));
            }
            catch (CreateTopicsException ex) when (ex.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
            {
            }
            catch (KafkaException ex)
            {
                logger.LogInformation("CreateTopics not available ({Reason}); relying on broker auto-creation", ex.Error.Reason);
            }
        }

        foreach (var topic in wanted)
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(5));
                var topicMetadata = metadata.Topics.FirstOrDefault(t => t.Topic == topic);
                if (topicMetadata is { Error.Code: ErrorCode.NoError } && topicMetadata.Partitions.Count > 0 && topicMetadata.Partitions.All(p => p.Leader >= 0))
                {
                    break;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"Kafka topic '{topic}' has no leader for every partition yet ({topicMetadata?.Error.Reason}).");
                }

                await Task.Delay(200, cancellationToken);
            }
        }
    }
}
