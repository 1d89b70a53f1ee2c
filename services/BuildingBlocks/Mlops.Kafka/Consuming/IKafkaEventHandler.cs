using Mlops.Contracts.Kafka;

namespace Mlops.Kafka.Consuming;

/// <summary>
/// Handles one event from a Kafka topic. Resolved from a fresh DI scope per record. Throwing makes the
/// consumer host retry with backoff and, when attempts run out, dead-letter the record; throwing
/// <see cref="RejectEventException"/> dead-letters it at once. Delivery is at least once: make handlers
/// idempotent, e.g. by deriving from <see cref="Idempotency.IdempotentEventHandler{T}"/>.
/// </summary>
public interface IKafkaEventHandler<T>
{
    /// <summary>Handles the event.</summary>
    Task HandleAsync(EventEnvelope<T> envelope, KafkaMessageContext context, CancellationToken cancellationToken);
}
