using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Features;
using Mlops.Features.Definitions;
using Mlops.Features.Storage;
using Mlops.Features.TrainingSets;

namespace Mlops.Features.Api;

/// <summary>Online store reads, definitions, labels, point-in-time training sets and backfills, under <c>/api/features</c>.</summary>
public static class FeaturesApi
{
    /// <summary>A training-set request.</summary>
    public sealed record TrainingSetRequest(string? LabelName);

    /// <summary>Result of a backfill.</summary>
    public sealed record BackfillResult(string FeatureSetVersion, int Entities);

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapFeaturesApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/features").WithTags("Features");
        api.MapGet("/online/{entityId}", GetOnline);
        api.MapGet("/definitions", (IOptions<FeatureDefinitions> d) => TypedResults.Ok(new { version = d.Value.Version, featureNames = d.Value.FeatureNames, definitions = d.Value }));
        api.MapPost("/labels", PostLabel);
        api.MapPost("/training-sets", StreamTrainingSet);
        api.MapPost("/backfill", async (Backfill backfill, IOptions<FeatureDefinitions> d, CancellationToken ct) =>
            TypedResults.Ok(new BackfillResult(d.Value.Version, await backfill.RunAsync(null, ct))));
        return routes;
    }

    static async Task<Results<Ok<StoredVector>, ProblemHttpResult>> GetOnline(string entityId, OnlineFeatureCache cache, CancellationToken cancellationToken)
    {
        FeaturesTelemetry.OnlineReads.Add(1);
        return await cache.GetAsync(entityId, cancellationToken) is { } vector
            ? TypedResults.Ok(vector)
            : TypedResults.Problem(title: "Unknown entity", detail: $"no feature vector for entity '{entityId}'", statusCode: StatusCodes.Status404NotFound);
    }

    static async Task<Results<Accepted, Ok, ValidationProblem>> PostLabel(LabelRecorded label, FeatureStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(label.LabelId))
        {
            errors["labelId"] = ["labelId is required"];
        }

        if (string.IsNullOrWhiteSpace(label.EntityId))
        {
            errors["entityId"] = ["entityId is required"];
        }

        if (string.IsNullOrWhiteSpace(label.Name))
        {
            errors["name"] = ["name is required"];
        }

        if (!double.IsFinite(label.Value))
        {
            errors["value"] = ["value must be a finite number"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The label is invalid");
        }

        return await store.AddLabelAsync(label.LabelId, label.EntityId, label.Name, label.Value, label.EventTime, cancellationToken)
            ? TypedResults.Accepted((string?)null)
            : TypedResults.Ok();
    }

    static async Task StreamTrainingSet(TrainingSetRequest request, PointInTimeTrainingSet trainingSet, HttpContext context, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.LabelName))
        {
            await TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["labelName"] = ["labelName is required"] }, title: "The request is invalid")
                .ExecuteAsync(context);
            return;
        }

        using var activity = FeaturesTelemetry.Source.StartActivity("build training set");
        activity?.SetTag("mlops.label", request.LabelName);
        context.Response.ContentType = "application/x-ndjson";
        await foreach (var row in trainingSet.BuildAsync(request.LabelName, null, cancellationToken))
        {
            await JsonSerializer.SerializeAsync(context.Response.Body, row, FeatureStore.Json, cancellationToken);
            await context.Response.Body.WriteAsync("\n"u8.ToArray(), cancellationToken);
        }
    }
}
