using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Features;
using Mlops.Features.Definitions;
using Mlops.Features.Labels;
using Mlops.Features.Storage;
using Mlops.Features.TrainingSets;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Features.Api;

/// <summary>Online store reads, definitions, labels, point-in-time training sets and backfills, under <c>/api/features</c>.</summary>
public static class FeaturesApi
{
    /// <summary>A training-set request.</summary>
    public sealed record TrainingSetRequest(string? LabelName, string? DatasetVersion);

    /// <summary>A backfill request; without a dataset version the feature service's own observation store is the source.</summary>
    public sealed record BackfillRequest(string? DatasetVersion);

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
        api.MapPost("/backfill", RunBackfill);
        return routes;
    }

    static async Task<Results<Ok<BackfillResult>, ProblemHttpResult, ValidationProblem>> RunBackfill(
        BackfillRequest? request, Backfill backfill, IOptions<FeatureDefinitions> definitions, CancellationToken cancellationToken)
    {
        if (InputText.IdentifierProblem("datasetVersion", request?.DatasetVersion) is { } problem)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["datasetVersion"] = [problem] }, title: "The request is invalid");
        }

        try
        {
            return TypedResults.Ok(new BackfillResult(definitions.Value.Version, await backfill.RunAsync(null, request?.DatasetVersion, cancellationToken)));
        }
        catch (DatasetVersionNotFoundException ex)
        {
            return TypedResults.Problem(title: "Unknown dataset version", detail: ex.Message, statusCode: StatusCodes.Status404NotFound);
        }
    }

    static async Task<Results<Ok<StoredVector>, ProblemHttpResult, ValidationProblem>> GetOnline(string entityId, OnlineFeatureCache cache, CancellationToken cancellationToken)
    {
        if (InputText.IdentifierProblem("entityId", entityId) is { } problem)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["entityId"] = [problem] }, title: "The request is invalid");
        }

        FeaturesTelemetry.OnlineReads.Add(1);
        return await cache.GetAsync(entityId, cancellationToken) is { } vector
            ? TypedResults.Ok(vector)
            : TypedResults.Problem(title: "Unknown entity", detail: $"no feature vector for entity '{entityId}'", statusCode: StatusCodes.Status404NotFound);
    }

    static async Task<Results<Accepted, Ok, ValidationProblem>> PostLabel(LabelRecorded label, FeatureStore store, CancellationToken cancellationToken)
    {
        var errors = LabelValidator.Validate(label);
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
        var problems = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.LabelName))
        {
            problems["labelName"] = ["labelName is required"];
        }
        else if (InputText.IdentifierProblem("labelName", request.LabelName) is { } labelProblem)
        {
            problems["labelName"] = [labelProblem];
        }

        if (InputText.IdentifierProblem("datasetVersion", request.DatasetVersion) is { } versionProblem)
        {
            problems["datasetVersion"] = [versionProblem];
        }

        if (problems.Count > 0 || string.IsNullOrWhiteSpace(request.LabelName))
        {
            await TypedResults.ValidationProblem(problems, title: "The request is invalid").ExecuteAsync(context);
            return;
        }

        using var activity = FeaturesTelemetry.Source.StartActivity("build training set");
        activity?.SetTag("mlops.label", request.LabelName);
        activity?.SetTag("mlops.dataset.version", request.DatasetVersion);
        var rows = request.DatasetVersion is null
            ? trainingSet.BuildAsync(request.LabelName, null, cancellationToken)
            : trainingSet.BuildFromDatasetAsync(request.LabelName, request.DatasetVersion, null, cancellationToken);
        await using var enumerator = rows.GetAsyncEnumerator(cancellationToken);
        bool hasRow;
        try
        {
            // The first row decides the status: an unknown dataset version is a 404, not a broken 200 stream.
            hasRow = await enumerator.MoveNextAsync();
        }
        catch (DatasetVersionNotFoundException ex)
        {
            await TypedResults.Problem(title: "Unknown dataset version", detail: ex.Message, statusCode: StatusCodes.Status404NotFound).ExecuteAsync(context);
            return;
        }

        context.Response.ContentType = "application/x-ndjson";
        while (hasRow)
        {
            await JsonSerializer.SerializeAsync(context.Response.Body, enumerator.Current, FeatureStore.Json, cancellationToken);
            await context.Response.Body.WriteAsync("\n"u8.ToArray(), cancellationToken);
            hasRow = await enumerator.MoveNextAsync();
        }
    }
}
