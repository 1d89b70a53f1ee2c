using System.Diagnostics;
using System.Globalization;
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
    /// <param name="LabelName">Labels to build rows for.</param>
    /// <param name="DatasetVersion">Ingestion snapshot to read observations from; none = the feature service's own store.</param>
    /// <param name="FeatureSet">Definition set by name (the version in use under it); none = the shipped set.</param>
    /// <param name="FeatureSetVersion">Definition set by exact version (e.g. the one a training run records); wins over the name, must agree with it.</param>
    public sealed record TrainingSetRequest(string? LabelName, string? DatasetVersion, string? FeatureSet = null, string? FeatureSetVersion = null)
    {
        /// <summary>Only labels whose event time is at or after this instant (a recent window); null: every label.</summary>
        public DateTimeOffset? LabelsFrom { get; init; }
    }

    /// <summary>A backfill request; without a dataset version the feature service's own observation store is the source.</summary>
    /// <param name="DatasetVersion">Ingestion snapshot to read observations from.</param>
    /// <param name="FeatureSet">Definition set by name; none = the shipped set.</param>
    public sealed record BackfillRequest(string? DatasetVersion, string? FeatureSet = null);

    /// <summary>Result of a backfill.</summary>
    public sealed record BackfillResult(string FeatureSetVersion, int Entities);

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapFeaturesApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/features").WithTags("Features");
        api.MapGet("/online/{entityId}", GetOnline);
        // The shipped set, as before; every set (and registration) is under /definition-sets.
        api.MapGet("/definitions", (IOptions<FeatureDefinitions> d) => TypedResults.Ok(new { version = d.Value.Version, featureNames = d.Value.FeatureNames, definitions = d.Value }));
        api.MapPost("/labels", PostLabel);
        api.MapPost("/training-sets", StreamTrainingSet);
        api.MapPost("/backfill", RunBackfill);
        return routes;
    }

    static async Task<Results<Ok<BackfillResult>, ProblemHttpResult, ValidationProblem>> RunBackfill(
        BackfillRequest? request, Backfill backfill, FeatureSetCatalog catalog, CancellationToken cancellationToken)
    {
        var selection = await FeatureSetSelection.ResolveAsync(catalog, "featureSet", request?.FeatureSet, null, cancellationToken);
        if (InputText.IdentifierProblem("datasetVersion", request?.DatasetVersion) is { } problem)
        {
            selection.Problems["datasetVersion"] = [problem];
        }

        if (selection.Problems.Count > 0)
        {
            return TypedResults.ValidationProblem(selection.Problems, title: "The request is invalid");
        }

        if (selection.Set is not { } set)
        {
            return TypedResults.Problem(title: "Unknown feature set", detail: selection.NotFound, statusCode: StatusCodes.Status404NotFound);
        }

        try
        {
            using var activity = FeaturesTelemetry.Source.StartActivity("backfill");
            activity?.SetTag("mlops.feature_set.version", set.Version);
            return TypedResults.Ok(new BackfillResult(set.Version, await backfill.RunAsync(set, request?.DatasetVersion, cancellationToken)));
        }
        catch (DatasetVersionNotFoundException ex)
        {
            return TypedResults.Problem(title: "Unknown dataset version", detail: ex.Message, statusCode: StatusCodes.Status404NotFound);
        }
    }

    static async Task<Results<OnlineVectorJson, ProblemHttpResult, ValidationProblem>> GetOnline(
        string entityId, string? set, OnlineFeatureCache cache, FeatureSetCatalog catalog, CancellationToken cancellationToken)
    {
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (InputText.IdentifierProblem("entityId", entityId) is { } problem)
        {
            problems["entityId"] = [problem];
        }

        FeatureDefinitions? definitions = catalog.Shipped;
        if (set is not null && set != catalog.Shipped.Name)
        {
            // Only a named, non-shipped set pays for the (rate-limited) registry check; the default read stays as cheap as before.
            var selection = await FeatureSetSelection.ResolveAsync(catalog, "set", set, null, cancellationToken);
            foreach (var (field, messages) in selection.Problems)
            {
                problems[field] = messages;
            }

            if (problems.Count == 0 && selection.Set is null)
            {
                return TypedResults.Problem(title: "Unknown feature set", detail: selection.NotFound, statusCode: StatusCodes.Status404NotFound);
            }

            definitions = selection.Set;
        }

        if (problems.Count > 0 || definitions is null)
        {
            return TypedResults.ValidationProblem(problems, title: "The request is invalid");
        }

        FeaturesTelemetry.OnlineReads.Add(1);
        return await cache.GetJsonAsync(definitions.Version, entityId, cancellationToken) is { } json
            ? new OnlineVectorJson(json)
            : TypedResults.Problem(title: "Unknown entity", detail: set is null
                ? $"no feature vector for entity '{entityId}'"
                : $"no feature vector for entity '{entityId}' in set {definitions.Version}", statusCode: StatusCodes.Status404NotFound);
    }

    static async Task<Results<Accepted, Ok, ValidationProblem>> PostLabel(
        LabelRecorded label, FeatureStore store, LabelPublisher publisher, CancellationToken cancellationToken)
    {
        var errors = LabelValidator.Validate(label);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The label is invalid");
        }

        if (!await store.AddLabelAsync(label, publish: true, cancellationToken))
        {
            return TypedResults.Ok();
        }

        publisher.Notify();
        return TypedResults.Accepted((string?)null);
    }

    static async Task StreamTrainingSet(
        TrainingSetRequest request, PointInTimeTrainingSet trainingSet, FeatureSetCatalog catalog, HttpContext context, CancellationToken cancellationToken)
    {
        var selection = await FeatureSetSelection.ResolveAsync(catalog, "featureSet", request.FeatureSet, request.FeatureSetVersion, cancellationToken);
        var problems = selection.Problems;
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

        if (selection.Set is not { } set)
        {
            await TypedResults.Problem(title: "Unknown feature set", detail: selection.NotFound, statusCode: StatusCodes.Status404NotFound).ExecuteAsync(context);
            return;
        }

        using var activity = FeaturesTelemetry.Source.StartActivity("build training set");
        activity?.SetTag("mlops.label", request.LabelName);
        activity?.SetTag("mlops.dataset.version", request.DatasetVersion);
        activity?.SetTag("mlops.feature_set.version", set.Version);
        if (request.LabelsFrom is { } from)
        {
            // Echoed, so a caller can tell the window was applied (a service that ignored it would answer with every label).
            context.Response.Headers[TrainingSetHeaders.LabelsFrom] = from.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        }

        IAsyncEnumerable<TrainingRow> rows;
        if (request.DatasetVersion is null)
        {
            context.Response.Headers[TrainingSetHeaders.Source] = TrainingSetHeaders.StoreSource;
            rows = trainingSet.BuildAsync(request.LabelName, set, cancellationToken, request.LabelsFrom);
        }
        else
        {
            DatasetVersionInfo dataset;
            try
            {
                // Asked before anything is streamed: an unknown dataset version is a 404, not a broken 200 stream.
                dataset = await trainingSet.DescribeDatasetAsync(request.DatasetVersion, cancellationToken);
            }
            catch (DatasetVersionNotFoundException ex)
            {
                await TypedResults.Problem(title: "Unknown dataset version", detail: ex.Message, statusCode: StatusCodes.Status404NotFound).ExecuteAsync(context);
                return;
            }

            // Which source answered, so a training run records what its rows were built from.
            context.Response.Headers[TrainingSetHeaders.Source] = TrainingSetHeaders.DatasetSource;
            context.Response.Headers[TrainingSetHeaders.DatasetVersion] = dataset.Version;
            context.Response.Headers[TrainingSetHeaders.DatasetObservations] = dataset.RowCount.ToString(CultureInfo.InvariantCulture);
            context.Response.Headers[TrainingSetHeaders.LabelsRecordedBy] = dataset.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
            rows = trainingSet.BuildFromDatasetAsync(request.LabelName, dataset, set, cancellationToken, request.LabelsFrom);
        }

        await using var enumerator = rows.GetAsyncEnumerator(cancellationToken);
        var hasRow = await enumerator.MoveNextAsync();
        context.Response.ContentType = "application/x-ndjson";
        while (hasRow)
        {
            await JsonSerializer.SerializeAsync(context.Response.Body, enumerator.Current, FeatureStore.Json, cancellationToken);
            await context.Response.Body.WriteAsync("\n"u8.ToArray(), cancellationToken);
            hasRow = await enumerator.MoveNextAsync();
        }
    }
}
