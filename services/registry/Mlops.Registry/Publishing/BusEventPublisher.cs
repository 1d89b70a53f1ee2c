using MassTransit;
using Mlops.Registry.Domain;

namespace Mlops.Registry.Publishing;

/// <summary>
/// Publishes a registry event through MassTransit with <b>MessageId = event id</b>, so a re-publish after a crash is
/// recognisable; on RabbitMQ the publish completes after the broker's publisher confirm.
/// </summary>
public sealed class BusEventPublisher(IBus bus)
{
    /// <summary>Header carrying the model stream the event belongs to.</summary>
    public const string StreamIdHeader = "Mlops-Stream-Id";

    public Task PublishAsync(RecordedEvent e, CancellationToken cancellationToken) =>
        bus.Publish(e.Data, e.Data.GetType(), Pipe.Execute<PublishContext>(context =>
        {
            context.MessageId = e.EventId;
            context.Headers.Set(StreamIdHeader, e.StreamId);
        }), cancellationToken);
}
