using MassTransit;

namespace Mlops.EventStore.Outbox;

/// <summary>
/// Publishes through MassTransit. On RabbitMQ the publish completes after the broker's publisher confirm, and the
/// message id is the event id, so consumers can recognise a re-publish after a crash.
/// </summary>
public sealed class MassTransitOutboxPublisher(IBus bus) : IOutboxPublisher
{
    /// <summary>Header carrying the stream the event belongs to.</summary>
    public const string StreamIdHeader = "Mlops-Stream-Id";

    /// <inheritdoc />
    public Task PublishAsync(Guid eventId, string streamId, object message, CancellationToken cancellationToken) =>
        bus.Publish(message, message.GetType(), Pipe.Execute<PublishContext>(context =>
        {
            context.MessageId = eventId;
            context.Headers.Set(StreamIdHeader, streamId);
        }), cancellationToken);
}
