using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Mlops.EventStore.Outbox;
using Mlops.EventStore.Projections;
using Mlops.EventStore.Subscriptions;

namespace Mlops.EventStore;

/// <summary>Registration of the event store in a service (which has already registered its <c>NpgsqlDataSource</c>).</summary>
public static class EventStoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds the event store: options from <c>EventStore</c> (then <paramref name="configure"/>), the event types,
    /// the schema initializer, and the outbox dispatcher publishing through MassTransit unless
    /// <see cref="EventStoreOptions.DispatchOutbox"/> is off.
    /// </summary>
    public static IHostApplicationBuilder AddEventStore(this IHostApplicationBuilder builder, Action<EventTypeRegistry> registerTypes, Action<EventStoreOptions>? configure = null)
    {
        var options = new EventStoreOptions();
        builder.Configuration.GetSection(EventStoreOptions.SectionName).Bind(options);
        configure?.Invoke(options);
        var types = new EventTypeRegistry();
        registerTypes(types);

        var services = builder.Services;
        services.TryAddSingleton(options);
        services.TryAddSingleton(types);
        services.TryAddSingleton(sp => new EventStoreSchema(sp.GetRequiredService<EventStoreOptions>()));
        services.TryAddSingleton<PostgresEventStore>();
        services.TryAddSingleton<IEventStore>(sp => sp.GetRequiredService<PostgresEventStore>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EventStoreInitializer>());
        if (options.DispatchOutbox)
        {
            services.TryAddSingleton<IOutboxPublisher, MassTransitOutboxPublisher>();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OutboxDispatcher>());
        }

        return builder;
    }

    /// <summary>Adds an inline projection, applied in every append's transaction.</summary>
    public static IServiceCollection AddInlineProjection<TProjection>(this IServiceCollection services)
        where TProjection : class, IInlineProjection
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IInlineProjection, TProjection>());
        return services;
    }

    /// <summary>Adds a catch-up subscription running <typeparamref name="TSubscriber"/> in the background.</summary>
    public static IServiceCollection AddEventSubscription<TSubscriber>(this IServiceCollection services)
        where TSubscriber : class, IEventSubscriber
    {
        services.TryAddSingleton<TSubscriber>();
        services.TryAddSingleton<CatchUpSubscription<TSubscriber>>();
        services.AddHostedService(sp => sp.GetRequiredService<CatchUpSubscription<TSubscriber>>());
        return services;
    }
}
