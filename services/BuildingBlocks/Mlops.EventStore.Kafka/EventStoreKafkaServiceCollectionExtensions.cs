using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Mlops.EventStore.Outbox;
using Mlops.Kafka;
using Mlops.Kafka.Producing;

namespace Mlops.EventStore.Kafka;

/// <summary>Registration of the Kafka outbox transport.</summary>
public static class EventStoreKafkaServiceCollectionExtensions
{
    /// <summary>
    /// Lets event types registered with <see cref="OutboxTransports.Kafka"/> leave through Kafka: adds the platform's
    /// Kafka producer if absent and the Kafka <see cref="IOutboxPublisher"/> (keyed <see cref="OutboxTransports.Kafka"/>),
    /// with topics from <c>EventStore:Kafka</c> then <paramref name="configure"/>. The dispatcher itself is added by
    /// <c>AddEventStore</c>.
    /// </summary>
    public static IHostApplicationBuilder AddEventStoreKafkaOutbox(this IHostApplicationBuilder builder, Action<KafkaOutboxOptions>? configure = null)
    {
        var options = new KafkaOutboxOptions();
        builder.Configuration.GetSection(KafkaOutboxOptions.SectionName).Bind(options);
        configure?.Invoke(options);

        // AddPlatformKafka also adds a health check, which must not be added twice.
        if (!builder.Services.Any(d => d.ServiceType == typeof(IEventProducer)))
        {
            builder.AddPlatformKafka();
        }

        builder.Services.TryAddSingleton(options);
        builder.Services.TryAddKeyedSingleton<IOutboxPublisher, KafkaOutboxPublisher>(OutboxTransports.Kafka);
        return builder;
    }
}
