namespace Mlops.EventStore.Outbox;

/// <summary>The brokers an event type leaves the service by (any combination).</summary>
[Flags]
public enum OutboxTransports
{
    /// <summary>The event stays inside the service: no outbox row.</summary>
    None = 0,

    /// <summary>MassTransit (RabbitMQ), through the unkeyed <see cref="IOutboxPublisher"/>.</summary>
    Bus = 1,

    /// <summary>Kafka, through the <see cref="IOutboxPublisher"/> registered under the key <see cref="Kafka"/>.</summary>
    Kafka = 2,
}
