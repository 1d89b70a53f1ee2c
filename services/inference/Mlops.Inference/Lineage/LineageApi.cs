using Microsoft.AspNetCore.Http.HttpResults;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Inference.Lineage;

/// <summary>Lineage queries under <c>/api/lineage</c> (through the gateway with a reading key; docs/lineage.md).</summary>
public static class LineageApi
{
    /// <summary>Most predictions one reverse query returns.</summary>
    public const int MaxInfluenced = 1_000;

    public static IEndpointRouteBuilder MapLineageApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/lineage").WithTags("Lineage");
        api.MapGet("/predictions/{predictionId}", ReplayAsync);
        api.MapGet("/observations/{observationId}/predictions", InfluencedAsync);
        return app;
    }

    static async Task<Results<Ok<PredictionReplay>, ValidationProblem, ProblemHttpResult>> ReplayAsync(
        string predictionId, PredictionReplayer replayer, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(predictionId, out _))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["predictionId"] = ["predictionId must be a prediction's id, a GUID such as 0193a4f2-7c1e-7b3a-9d2e-5f6a7b8c9d0e."],
            }, title: "Invalid prediction id");
        }

        try
        {
            return await replayer.ReplayAsync(predictionId, cancellationToken) is { } replay
                ? TypedResults.Ok(replay)
                : TypedResults.Problem(title: "Unknown prediction", statusCode: StatusCodes.Status404NotFound,
                    detail: $"No prediction '{predictionId}' in the prediction log (never made, older than the retention, or not written yet).");
        }
        catch (InvalidDataException ex)
        {
            // The artifact cannot be found or does not hash to what the prediction recorded: nothing to re-score with.
            return TypedResults.Problem(title: "Model artifact unavailable", detail: ex.Message, statusCode: StatusCodes.Status422UnprocessableEntity);
        }
        catch (HttpRequestException ex)
        {
            return TypedResults.Problem(title: "A service the replay needs did not answer", detail: $"{ex.Message}; retry.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    static async Task<Results<Ok<InfluencedPredictions>, ValidationProblem>> InfluencedAsync(
        string observationId, int? limit, PredictionLogStore log, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        InputText.CheckIdentifier(errors, "observationId", observationId);
        var size = limit ?? 100;
        if (size is < 1 or > MaxInfluenced)
        {
            errors["limit"] = [$"limit must be between 1 and {MaxInfluenced}."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is invalid");
        }

        var found = await log.InfluencedByAsync(observationId, size + 1, cancellationToken);
        var truncated = found.Count > size;
        return TypedResults.Ok(new InfluencedPredictions(observationId, truncated ? found[..size] : found, truncated));
    }
}
