using Mlops.Gateway.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Mlops.Gateway.Shadow;

/// <summary><c>GET /api/gateway/shadow/{model}</c>: how the model's shadow version compares with what served, on this replica.</summary>
public static class ShadowApi
{
    public static IEndpointRouteBuilder MapShadowApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/api/gateway").WithTags("Gateway").RequireAuthorization(Roles.AnyKeyPolicy).MapGet("/shadow/{model}", GetReport)
            .WithSummary("Shadow comparison of a model")
            .WithDescription("Per serving version and shadow version: agreement at the decision threshold, mean and p99 absolute probability difference, latency of each side, and the mirror counts (queued, dropped, failed) since this gateway replica started.");
        return routes;
    }

    static Results<Ok<ShadowReport>, ProblemHttpResult> GetReport(string model, ShadowComparisons comparisons) =>
        comparisons.Report(model) is { } report
            ? TypedResults.Ok(report)
            : TypedResults.Problem($"Model '{model}' has no shadow route and nothing was mirrored for it since this gateway started.", statusCode: StatusCodes.Status404NotFound, title: "No shadow comparison");
}
