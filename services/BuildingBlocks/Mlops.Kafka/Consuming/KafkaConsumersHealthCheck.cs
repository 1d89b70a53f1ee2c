using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mlops.Kafka.Consuming;

/// <summary>
/// Reports consumers paused while a dependency is down, with the reason, under <c>/health/ready</c>. Degraded rather
/// than unhealthy by default: the service may still serve what does not need that dependency, and the dependency's
/// own check (e.g. <c>postgres</c>) already says unhealthy when it is this service's database.
/// </summary>
internal sealed class KafkaConsumersHealthCheck(KafkaConsumerStatus status) : IHealthCheck
{
    public const string Name = "kafka-consumers";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var waiting = status.Waiting;
        if (waiting.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy("every consumer is taking records"));
        }

        var description = string.Join("; ", waiting.Select(w => string.Create(CultureInfo.InvariantCulture,
            $"consumer {w.GroupId} paused, waiting on its dependency since {w.Since:HH:mm:ss} UTC ({w.Retries} retries): {w.Reason}")));
        return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, description));
    }
}
