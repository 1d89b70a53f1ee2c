using Mlops.Contracts.Registry;
using Mlops.EventStore;

namespace Mlops.Registry.Application;

/// <summary>The registry's stored event types; every one is also published (gateway, inference pods, audit consumers).</summary>
public static class RegistryEventTypes
{
    public static void Register(EventTypeRegistry types) => types
        .Register<ModelVersionRegistered>(publish: true)
        .Register<PromotionRequested>(publish: true)
        .Register<PromotionApproved>(publish: true)
        .Register<PromotionRejected>(publish: true)
        .Register<AliasAssigned>(publish: true)
        .Register<StageChanged>(publish: true)
        .Register<VersionArchived>(publish: true)
        .Register<DeploymentChanged>(publish: true)
        .Register<RolledBack>(publish: true)
        .Register<PromotionPolicyChanged>(publish: true);
}
