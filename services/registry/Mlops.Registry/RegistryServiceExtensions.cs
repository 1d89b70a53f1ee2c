using Mlops.EventStore;
using Mlops.Messaging;
using Mlops.Registry.Api;
using Mlops.Registry.Application;
using Mlops.Registry.Artifacts;
using Mlops.Registry.Messaging;
using Mlops.ServiceDefaults;

namespace Mlops.Registry;

/// <summary>Registers what the registry service needs.</summary>
public static class RegistryServiceExtensions
{
    /// <summary>PostgreSQL (events, read model, artifacts), the event store with its outbox, the command consumers.</summary>
    public static IHostApplicationBuilder AddRegistryServices(this IHostApplicationBuilder builder)
    {
        var options = new RegistryOptions();
        builder.Configuration.GetSection(RegistryOptions.SectionName).Bind(options);
        builder.Services.AddSingleton(options);

        builder.AddPlatformPostgres("registry");
        // The bus before the event store: hosted services start in registration order, so the outbox dispatcher
        // never runs ahead of the bus's start (a publish that still fails leaves its row for the next attempt).
        builder.AddPlatformMessaging(bus =>
        {
            bus.AddConsumer<RegisterModelVersionConsumer>(typeof(RegisterModelVersionConsumerDefinition));
            bus.AddConsumer<RequestPromotionConsumer>(typeof(RequestPromotionConsumerDefinition));
            bus.AddConsumer<ApprovePromotionConsumer>(typeof(ApprovePromotionConsumerDefinition));
            bus.AddConsumer<RejectPromotionConsumer>(typeof(RejectPromotionConsumerDefinition));
            bus.AddConsumer<RollBackConsumer>(typeof(RollBackConsumerDefinition));
        });
        builder.AddEventStore(RegistryEventTypes.Register, o =>
        {
            // The registry's events live in schema "registry" of its own database unless configured otherwise.
            if (builder.Configuration[EventStoreOptions.SectionName + ":Schema"] is null)
            {
                o.Schema = "registry";
            }
        });
        builder.Services.AddSingleton<ModelCatalogProjection>();
        builder.Services.AddSingleton<Mlops.EventStore.Projections.IInlineProjection>(sp => sp.GetRequiredService<ModelCatalogProjection>());
        builder.Services.AddSingleton<ArtifactStore>();
        builder.Services.AddSingleton<ModelRegistry>();

        return builder;
    }

    /// <summary>Maps the registry's HTTP API.</summary>
    public static WebApplication MapRegistryServices(this WebApplication app)
    {
        app.MapRegistryApi();
        app.MapDeploymentsApi();
        return app;
    }
}
