using Mlops.Contracts.Kafka;

namespace Mlops.Kafka.Producing;

/// <summary>Publishes payloads to Kafka wrapped in an <see cref="EventEnvelope{T}"/>, keyed by entity id.</summary>
public interface IEventProducer
{
    /// <summary>
    /// Wraps <paramref name="data"/> in an envelope (new id, current trace context) and waits until the broker
    /// acknowledged it.
    /// </summary>
    /// <param name="topic">Destination topic.</param>
    /// <param name="subject">Entity id: the envelope subject and the record key.</param>
    /// <param name="data">The payload.</param>
    /// <param name="cancellationToken">Cancels the wait (the record may still be delivered).</param>
    Task<EventEnvelope<T>> ProduceAsync<T>(string topic, string subject, T data, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="ProduceAsync{T}(string, string, T, CancellationToken)"/> with the envelope id given, for events whose
    /// id is derived from their content (<see cref="NameBasedEventId"/>), so a re-published fact keeps its id.
    /// </summary>
    /// <param name="topic">Destination topic.</param>
    /// <param name="subject">Entity id: the envelope subject and the record key.</param>
    /// <param name="eventId">The envelope id.</param>
    /// <param name="data">The payload.</param>
    /// <param name="cancellationToken">Cancels the wait (the record may still be delivered).</param>
    Task<EventEnvelope<T>> ProduceAsync<T>(string topic, string subject, string eventId, T data, CancellationToken cancellationToken = default);

    /// <summary>Publishes a ready-made envelope as is (its id and trace context are kept).</summary>
    Task ProduceEnvelopeAsync<T>(string topic, EventEnvelope<T> envelope, CancellationToken cancellationToken = default);

    /// <summary>Publishes a raw value, for relaying records that may not be valid envelopes (dead letters, tests).</summary>
    Task ProduceRawAsync(string topic, string? key, byte[] value, CancellationToken cancellationToken = default);

    /// <summary>Publishes a raw value and returns where the broker stored it (partition, offset), e.g. for a replay log.</summary>
    Task<(int Partition, long Offset)> ProduceRawAtAsync(string topic, string? key, byte[] value, CancellationToken cancellationToken = default);
}
