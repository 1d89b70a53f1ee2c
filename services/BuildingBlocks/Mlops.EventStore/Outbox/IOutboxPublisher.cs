namespace Mlops.EventStore.Outbox;

/// <summary>Sends one outbox event to a broker and returns only once the broker acknowledged it.</summary>
public interface IOutboxPublisher
{
    /// <summary>Publishes <paramref name="message"/> with <paramref name="eventId"/> as its message id.</summary>
    Task PublishAsync(Guid eventId, string streamId, object message, CancellationToken cancellationToken);
}
