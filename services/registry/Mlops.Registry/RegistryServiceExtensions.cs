using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Mlops.Kafka;
using Mlops.Kafka.Producing;
using Mlops.Messaging;
using Mlops.Registry.Api;
using Mlops.Registry.Application;
using Mlops.Registry.Artifacts;
using Mlops.Registry.Domain;
using Mlops.Registry.Messaging;
using Mlops.Registry.Publishing;
using Mlops.Registry.Rollouts;
using Mlops.ServiceDefaults;
using Weasel.Core;

namespace Mlops.Registry;

/// <summary>Registers what the registry service needs.</summary>
public static class RegistryServiceExtensions
{
    /// <summary>PostgreSQL (Marten's events and documents, artifacts), the publishing subscription, the command consumers.</summary>
    public static IHostApplicationBuilder AddRegistryServices(this IHostApplicationBuilder builder)
    {
        var options = new RegistryOptions();
        builder.Configuration.GetSection(RegistryOptions.SectionName).Bind(options);
        builder.Services.AddSingleton(options);
        var store = new RegistryStoreOptions();
        builder.Configuration.GetSection(RegistryStoreOptions.SectionName).Bind(store);
        var schema = store.ValidatedSchema();
        builder.Services.AddSingleton(store);
        var kafka = new RegistryKafkaOptions();
        builder.Configuration.GetSection(RegistryKafkaOptions.SectionName).Bind(kafka);
        builder.Services.AddSingleton(kafka);

        builder.AddPlatformPostgres("registry");
        // The bus before Marten's daemon: hosted services start in registration order, so the publishing
        // subscription never runs ahead of the bus's start (a publish that still fails is retried in place).
        builder.AddPlatformMessaging(bus =>
        {
            bus.AddConsumer<RegisterModelVersionConsumer>(typeof(RegisterModelVersionConsumerDefinition));
            bus.AddConsumer<RequestPromotionConsumer>(typeof(RequestPromotionConsumerDefinition));
            bus.AddConsumer<ApprovePromotionConsumer>(typeof(ApprovePromotionConsumerDefinition));
            bus.AddConsumer<RejectPromotionConsumer>(typeof(RejectPromotionConsumerDefinition));
            bus.AddConsumer<RollBackConsumer>(typeof(RollBackConsumerDefinition));
            bus.AddRollouts();
            bus.AddConsumer<SetTrafficSplitConsumer>(typeof(SetTrafficSplitConsumerDefinition));
        });
        builder.AddRolloutServices();
        builder.Services.AddSingleton<BusEventPublisher>();
        if (kafka.Enabled)
        {
            // AddPlatformKafka also adds a health check, which must not be added twice.
            if (!builder.Services.Any(d => d.ServiceType == typeof(IEventProducer)))
            {
                builder.AddPlatformKafka();
            }

            builder.Services.AddSingleton<KafkaEventPublisher>();
        }

        var marten = builder.Services.AddMarten(o =>
            {
                o.DatabaseSchemaName = schema;
                o.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);
                o.Events.StreamIdentity = StreamIdentity.AsString;
                // Rich appends: versions, sequence numbers and timestamps are known before commit, so the inline
                // projections see the same revision and time that a later replay will.
                o.Events.AppendMode = EventAppendMode.Rich;
                o.Events.MetadataConfig.HeadersEnabled = true;
                RegistryEventTypes.Map(o);
                RolloutHistory.Map(o);
                o.Schema.For<ModelState>().Identity(m => m.Name);
                o.Schema.For<ModelCatalogEntry>().Identity(m => m.Name);
                o.Projections.Add(new ModelStateProjection(), ProjectionLifecycle.Inline);
                o.Projections.Add(new ModelCatalogProjection(), ProjectionLifecycle.Inline);
                o.Projections.DaemonLockId = store.DaemonLockId();
            })
            // No ApplyAllDatabaseChangesOnStartup: Marten creates its tables on first use, so the registry starts
            // (live, not ready) while its database is down, like the other services.
            .UseNpgsqlDataSource()
            .AddSubscriptionWithServices<RegistryEventPublisher>(ServiceLifetime.Singleton);
        if (store.Publish)
        {
            marten.AddAsyncDaemon(DaemonMode.HotCold);
        }

        builder.Services.AddSingleton<ArtifactStore>();
        builder.Services.AddSingleton<ModelStreamLocks>();
        builder.Services.AddSingleton<ModelRegistry>();

        return builder;
    }

    /// <summary>Maps the registry's HTTP API.</summary>
    public static WebApplication MapRegistryServices(this WebApplication app)
    {
        app.MapRegistryApi();
        app.MapDeploymentsApi();
        app.MapDatasetLineageApi();
        app.MapRolloutsApi();
        return app;
    }
}
