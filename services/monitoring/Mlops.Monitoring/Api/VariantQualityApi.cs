using Microsoft.AspNetCore.Http.HttpResults;

namespace Mlops.Monitoring.Api;

/// <summary>
/// The versions and variants of a model side by side since a moment (a rollout's start): labelled quality and newest
/// drift — what the registry's rollout analysis gates a canary on and the gateway's A/B experiments count outcomes from.
/// </summary>
public static class VariantQualityApi
{
    /// <summary>Longest period asked at once: the samples of the period are read in full.</summary>
    static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(31);

    public static IEndpointRouteBuilder MapVariantQualityApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/api/monitoring").WithTags("Monitoring").MapGet("/models/{model}/variants", Since);
        return routes;
    }

    static async Task<Results<Ok<IReadOnlyList<VariantQualityReader.VariantQuality>>, ValidationProblem>> Since(
        string model, DateTimeOffset? from, double? threshold, string? metrics, VariantQualityReader reader, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var errors = new Dictionary<string, string[]>();
        if (from is null)
        {
            errors["from"] = ["from is required (the start of the period, e.g. the rollout's start, ISO 8601)"];
        }
        else if (from > now)
        {
            errors["from"] = ["from must not be in the future"];
        }
        else if (now - from > MaxPeriod)
        {
            errors["from"] = [$"from must be within the last {MaxPeriod.TotalDays:0} days"];
        }

        if (threshold is not null and not (> 0 and < 1))
        {
            errors["threshold"] = ["threshold (the decision threshold for the correct count) must lie in (0, 1)"];
        }

        if (metrics is not (null or "all" or "counts"))
        {
            errors["metrics"] = [$"'{metrics}' is not a metrics choice; use all (counts, AUROC and Brier; the default) or counts"];
        }

        return errors.Count > 0
            ? TypedResults.ValidationProblem(errors, title: "The variant quality query is invalid")
            : TypedResults.Ok(await reader.SinceAsync(model, from!.Value, threshold, countsOnly: metrics == "counts", ct));
    }
}
