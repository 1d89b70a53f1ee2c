using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Kafka;
using Mlops.EventStore.Outbox;
using Mlops.Kafka;
using Mlops.Kafka.Producing;

namespace Mlops.EventStore.Kafka;

/// <summary>
/// Publishes outbox events to Kafka as envelopes whose <c>id</c> is the event id and whose <c>subject</c> (the record
/// key) is the stream id, so a stream stays in order on one partition and a re-publish after a crash carries the same
/// id for the consumers' inbox (<c>IdempotentEventHandler</c>) to drop. Completes once the broker acknowledged.
/// </summary>
public sealed class KafkaOutboxPublisher(
    IEventProducer producer,
    EventTypeRegistry types,
    KafkaOutboxOptions options,
    IOptions<KafkaOptions> kafka,
    IHostEnvironment environment) : IOutboxPublisher
{
    readonly string _source = kafka.Value.Source ?? "/services/" + environment.ApplicationName;

    /// <inheritdoc />
    public Task PublishAsync(Guid eventId, string streamId, object message, CancellationToken cancellationToken)
    {
        var type = types.NameOf(message.GetType());
        var envelope = new EventEnvelope<object>
        {
            Id = eventId.ToString(),
            Source = _source,
            Type = type,
            Time = EventIdTime.Of(eventId) ?? DateTimeOffset.UtcNow,
            Subject = streamId,
            DataSchema = type,
            TraceParent = TraceContext.TraceParentOf(Activity.Current),
            TraceState = Activity.Current?.TraceStateString,
            Data = message,
        };
        return producer.ProduceEnvelopeAsync(options.TopicFor(type), envelope, cancellationToken);
    }
}
