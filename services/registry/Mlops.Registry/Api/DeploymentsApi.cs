using Microsoft.AspNetCore.Http.HttpResults;
using Mlops.Contracts.Registry;
using Mlops.Registry.Application;

namespace Mlops.Registry.Api;

/// <summary>
/// <c>GET /api/registry/deployments</c>: every model's current deployment, which an inference pod reads once at start
/// before following <c>DeploymentChanged</c> (whose revisions it compares with <see cref="CurrentDeployment.Revision"/>).
/// </summary>
public static class DeploymentsApi
{
    public static IEndpointRouteBuilder MapDeploymentsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/registry/deployments", ListDeploymentsAsync);
        return app;
    }

    static async Task<Ok<List<CurrentDeployment>>> ListDeploymentsAsync(ModelRegistry registry, CancellationToken ct)
    {
        var deployments = new List<CurrentDeployment>();
        foreach (var model in await registry.ListAsync(ct))
        {
            if (await registry.GetAsync(model.Name, cancellationToken: ct) is { Deployment.Count: > 0 } state)
            {
                deployments.Add(new CurrentDeployment(state.Name, state.Revision, state.Deployment));
            }
        }

        return TypedResults.Ok(deployments);
    }
}

/// <summary>One model's deployment now: the routes serving it and the model revision they are as of.</summary>
public sealed record CurrentDeployment(string ModelName, long Revision, IReadOnlyList<TrafficRoute> Routes);
