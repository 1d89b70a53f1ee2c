using Mlops.Contracts.Registry;

namespace Mlops.Gateway.Routing;

/// <summary>
/// Puts a request on a variant. Pure over the routes: two routers (gateway replicas, or one before and after a
/// restart) built from the same routes decide every entity alike, because the decision is
/// <see cref="VariantAssignment"/>'s stable hash and nothing else.
/// </summary>
public static class VariantRouter
{
    public static VariantDecision Decide(string modelName, ModelRoutes? routes, string? entityId, string? requestedVariant)
    {
        if (routes?.Champion is null)
        {
            // Nothing known to serve: the pods answer with what they have; a client's header still passes through.
            return new VariantDecision(modelName, requestedVariant, requestedVariant is null ? VariantSource.NoDeployment : VariantSource.Header, null, null);
        }

        var mirror = routes.Shadow is { } shadow && entityId is not null && VariantAssignment.Mirrors(modelName, entityId, shadow) ? shadow : null;
        if (requestedVariant is not null)
        {
            var named = routes.Find(requestedVariant);
            return new VariantDecision(modelName, requestedVariant, VariantSource.Header, named, named?.Alias == ModelAliases.Shadow ? null : mirror);
        }

        if (entityId is null)
        {
            return new VariantDecision(modelName, routes.Champion.Alias, VariantSource.NoEntity, routes.Champion, null);
        }

        var route = routes.Split ? VariantAssignment.Assign(modelName, entityId, routes.Routes) ?? routes.Champion : routes.Champion;
        // A rollout analysing divergence mirrors its candidate, which also serves as the canary: a request the candidate
        // serves itself has nothing to be compared with.
        return new VariantDecision(modelName, route.Alias, VariantSource.Entity, route, mirror?.Version == route.Version ? null : mirror);
    }
}
