using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Services;
using Marten.Subscriptions;
using Mlops.Registry.Application;
using Mlops.Registry.Domain;

namespace Mlops.Registry.Publishing;

/// <summary>
/// Marten async-daemon subscription that publishes every committed registry event, in the store's global order,
/// to the bus and — for types with a Kafka topic — to Kafka. Marten stores the subscription's checkpoint after a
/// page was handled, so an event committed while no daemon ran (or before a crash) is published when the daemon
/// next runs: at least once, with the event id as message/envelope id for consumers to deduplicate. A broker that
/// fails is retried in place with back-off (transient is not poison): the page, and every later event, waits, so
/// the order holds; when an event goes to both brokers, a broker that already acknowledged is not sent it again.
/// </summary>
public sealed class RegistryEventPublisher : SubscriptionBase
{
    public const string SubscriptionName = "registry-publisher";

    static readonly TimeSpan MaxBackOff = TimeSpan.FromSeconds(30);

    readonly BusEventPublisher _bus;
    readonly KafkaEventPublisher? _kafka;
    readonly ILogger<RegistryEventPublisher> _logger;

    public RegistryEventPublisher(BusEventPublisher bus, IServiceProvider services, ILogger<RegistryEventPublisher> logger)
    {
        _bus = bus;
        _kafka = services.GetService<KafkaEventPublisher>();
        _logger = logger;
        Name = SubscriptionName;
        Options.BatchSize = 100;
        // Only the registry's own events: Marten also stores tombstone events to fill the sequence numbers of a
        // failed append (e.g. the loser of a concurrent promotion), which must never leave the service.
        foreach (var type in RegistryEventTypes.All)
        {
            IncludeType(type);
        }
    }

    public override async Task<IChangeListener> ProcessEventsAsync(EventRange page, ISubscriptionController controller, IDocumentOperations operations, CancellationToken cancellationToken)
    {
        foreach (var stored in page.Events.Where(e => RegistryEventTypes.All.Contains(e.Data.GetType())))
        {
            var e = StoredEvents.ToRecorded(stored);
            using var activity = RegistryTelemetry.Source.StartActivity("registry publish");
            activity?.SetTag("messaging.message.id", e.EventId);
            activity?.SetTag("mlops.event_type", e.EventType);
            await WithRetryAsync("bus", e, _bus.PublishAsync, cancellationToken);
            if (_kafka is not null && _kafka.Publishes(e))
            {
                await WithRetryAsync("kafka", e, _kafka.PublishAsync, cancellationToken);
            }
        }

        return NullChangeListener.Instance;
    }

    async Task WithRetryAsync(string transport, RecordedEvent e, Func<RecordedEvent, CancellationToken, Task> publish, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await publish(e, cancellationToken);
                RegistryTelemetry.Published.Add(1, new KeyValuePair<string, object?>("transport", transport));
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                var delay = TimeSpan.FromMilliseconds(Math.Min(MaxBackOff.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(attempt, 10))));
                _logger.LogWarning(ex, "Publishing {EventType} {EventId} to {Transport} failed (attempt {Attempt}); retrying in {Delay}.", e.EventType, e.EventId, transport, attempt, delay);
                await Task.Delay(delay, cancellationToken);
            }
        }
    }
}
