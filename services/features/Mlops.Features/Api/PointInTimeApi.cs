using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Mlops.Features.Definitions;
using Mlops.Features.TrainingSets;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Features.Api;

/// <summary>
/// <c>GET /api/features/point-in-time/{entityId}?asOf=…&amp;knownAt=…&amp;featureSetVersion=…</c>: the entity's vector
/// at <c>asOf</c> computed from the observations known by <c>knownAt</c> (default: <c>asOf</c>), with those observations —
/// what a prediction's replay recomputes.
/// </summary>
public static class PointInTimeApi
{
    public static IEndpointRouteBuilder MapPointInTimeApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/features/point-in-time/{entityId}", GetAsync).WithTags("Features");
        return routes;
    }

    static async Task<Results<Ok<PointInTimeResult>, ValidationProblem, ProblemHttpResult>> GetAsync(
        string entityId, string? asOf, string? knownAt, string? featureSetVersion, string? set,
        FeatureSetCatalog catalog, PointInTimeVector vectors, CancellationToken cancellationToken)
    {
        var selection = await FeatureSetSelection.ResolveAsync(catalog, "set", set, featureSetVersion, cancellationToken);
        var problems = selection.Problems;
        if (InputText.IdentifierProblem("entityId", entityId) is { } entityProblem)
        {
            problems["entityId"] = [entityProblem];
        }

        var at = Time(problems, "asOf", asOf, required: true);
        var known = Time(problems, "knownAt", knownAt, required: false) ?? at;
        if (problems.Count > 0 || at is null || known is null)
        {
            return TypedResults.ValidationProblem(problems, title: "The request is invalid");
        }

        if (selection.Set is not { } definitions)
        {
            return TypedResults.Problem(title: "Unknown feature set", detail: selection.NotFound, statusCode: StatusCodes.Status404NotFound);
        }

        using var activity = FeaturesTelemetry.Source.StartActivity("point-in-time vector");
        activity?.SetTag("mlops.entity.id", entityId);
        activity?.SetTag("mlops.feature_set.version", definitions.Version);
        return TypedResults.Ok(await vectors.ComputeAsync(definitions, entityId, at.Value, known.Value, cancellationToken));
    }

    static DateTimeOffset? Time(Dictionary<string, string[]> problems, string field, string? text, bool required)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            if (required)
            {
                problems[field] = [$"{field} is required (an ISO 8601 time with offset, e.g. 2026-11-01T08:30:00Z)"];
            }

            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            problems[field] = [$"{field} '{(text.Length > 40 ? text[..40] + "…" : text)}' is not an ISO 8601 time"];
            return null;
        }

        return time;
    }
}
