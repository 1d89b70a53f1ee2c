using Confluent.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Mlops.Kafka;

/// <summary>Ready when a broker answers a metadata request.</summary>
internal sealed class KafkaHealthCheck(KafkaClientConfigFactory configFactory, ILogger<KafkaHealthCheck> logger) : IHealthCheck, IDisposable
{
    // librdkafka logs to stderr unless given a handler; route it through the service's logging instead.
    readonly Lazy<IAdminClient> _admin = new(() => new AdminClientBuilder(configFactory.CreateAdminConfig("health"))
        .SetLogHandler((_, message) => logger.LogDebug("librdkafka {Facility}: {Message}", message.Facility, message.Message))
        .SetErrorHandler((_, error) => logger.LogDebug("Kafka health client error {Code}: {Reason}", error.Code, error.Reason))
        .Build());

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.Run(() =>
        {
            try
            {
                var metadata = _admin.Value.GetMetadata(TimeSpan.FromSeconds(3));
                return metadata.Brokers.Count > 0
                    ? HealthCheckResult.Healthy($"{metadata.Brokers.Count} broker(s), {metadata.Topics.Count} topic(s)")
                    : new HealthCheckResult(context.Registration.FailureStatus, "Kafka metadata lists no broker");
            }
            catch (KafkaException ex)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, "Kafka did not answer: " + ex.Error.Reason, ex);
            }
        }, cancellationToken);

    public void Dispose()
    {
        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }
    }
}
