using System.Text.Json;
using Mlops.Features.Definitions;
using Mlops.Features.Storage;
using Mlops.Features.TrainingSets;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Features.Api;

/// <summary>
/// Scoring rows over an ingestion dataset version, for batch inference: the version's entities
/// (<c>GET /api/features/datasets/{version}/entities</c>) and their vectors at given times or at label times
/// (<c>POST /api/features/datasets/{version}/vectors</c>), both NDJSON. The calculator stays here; inference only scores.
/// </summary>
public static class DatasetVectorsApi
{
    /// <summary>A vectors request: some entities, at <see cref="Times"/> or at the times of labels named <see cref="LabelName"/>.</summary>
    /// <param name="EntityIds">At most <see cref="DatasetVectors.MaxEntities"/>.</param>
    /// <param name="Times">Evaluation times (as of and known by); exclusive with <paramref name="LabelName"/>.</param>
    /// <param name="LabelName">Score at every time a label of this name (recorded by the snapshot) names.</param>
    /// <param name="FeatureSet">Definition set by name; none = the shipped set.</param>
    /// <param name="FeatureSetVersion">Definition set by exact version (the one a model was trained on).</param>
    /// <param name="FeatureNames">Only these features in each row (a model's inputs); none = every feature of the set.</param>
    public sealed record DatasetVectorsRequest(
        IReadOnlyList<string>? EntityIds, IReadOnlyList<DateTimeOffset>? Times, string? LabelName, string? FeatureSet = null, string? FeatureSetVersion = null,
        IReadOnlyList<string>? FeatureNames = null);

    /// <summary>Most evaluation times per request.</summary>
    public const int MaxTimes = 1000;

    public static IEndpointRouteBuilder MapDatasetVectorsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/features/datasets").WithTags("Features");
        api.MapGet("/{datasetVersion}/entities", StreamEntitiesAsync);
        // A read with a body (the entity list is too long for a URL).
        api.MapPost("/{datasetVersion}/vectors", StreamVectorsAsync);
        return routes;
    }

    static async Task StreamEntitiesAsync(string datasetVersion, DatasetVectors vectors, HttpContext context, CancellationToken cancellationToken)
    {
        if (InputText.IdentifierProblem("datasetVersion", datasetVersion) is { } problem)
        {
            await TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["datasetVersion"] = [problem] }, title: "The request is invalid").ExecuteAsync(context);
            return;
        }

        if (await DescribeOrNotFoundAsync(vectors, datasetVersion, context, cancellationToken) is null)
        {
            return;
        }

        context.Response.ContentType = "application/x-ndjson";
        await foreach (var entityId in vectors.EntitiesAsync(datasetVersion, cancellationToken))
        {
            await JsonSerializer.SerializeAsync(context.Response.Body, entityId, FeatureStore.Json, cancellationToken);
            await context.Response.Body.WriteAsync("\n"u8.ToArray(), cancellationToken);
        }
    }

    static async Task StreamVectorsAsync(
        string datasetVersion, DatasetVectorsRequest? request, DatasetVectors vectors, FeatureSetCatalog catalog, HttpContext context, CancellationToken cancellationToken)
    {
        var selection = await FeatureSetSelection.ResolveAsync(catalog, "featureSet", request?.FeatureSet, request?.FeatureSetVersion, cancellationToken);
        var problems = selection.Problems;
        if (InputText.IdentifierProblem("datasetVersion", datasetVersion) is { } versionProblem)
        {
            problems["datasetVersion"] = [versionProblem];
        }

        var entityIds = request?.EntityIds ?? [];
        if (entityIds.Count == 0)
        {
            problems["entityIds"] = ["entityIds must name at least one entity"];
        }
        else if (entityIds.Count > DatasetVectors.MaxEntities)
        {
            problems["entityIds"] = [$"entityIds names {entityIds.Count} entities; at most {DatasetVectors.MaxEntities} per request"];
        }

        for (var i = 0; i < entityIds.Count && problems.Count < 20; i++)
        {
            if ((entityIds[i] is null ? $"entityIds[{i}] is null" : InputText.IdentifierProblem($"entityIds[{i}]", entityIds[i])) is { } entityProblem)
            {
                problems[$"entityIds[{i}]"] = [entityProblem];
            }
        }

        var times = request?.Times;
        if ((times is null or { Count: 0 }) == (request?.LabelName is null))
        {
            problems["times"] = ["give either times (one or more) or labelName, not both"];
        }
        else if (times is { Count: > MaxTimes })
        {
            problems["times"] = [$"times names {times.Count} times; at most {MaxTimes} per request"];
        }

        if (request?.LabelName is { } labelName && InputText.IdentifierProblem("labelName", labelName) is { } labelProblem)
        {
            problems["labelName"] = [labelProblem];
        }

        if (problems.Count > 0)
        {
            await TypedResults.ValidationProblem(problems, title: "The request is invalid").ExecuteAsync(context);
            return;
        }

        if (selection.Set is { } chosen && request?.FeatureNames?.FirstOrDefault(f => !chosen.FeatureNames.Contains(f)) is { } unknown)
        {
            await TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["featureNames"] = [$"set {chosen.Version} has no feature '{unknown}'"] },
                title: "The request is invalid").ExecuteAsync(context);
            return;
        }

        if (selection.Set is not { } set)
        {
            await TypedResults.Problem(title: "Unknown feature set", detail: selection.NotFound, statusCode: StatusCodes.Status404NotFound).ExecuteAsync(context);
            return;
        }

        if (await DescribeOrNotFoundAsync(vectors, datasetVersion, context, cancellationToken) is not { } dataset)
        {
            return;
        }

        using var activity = FeaturesTelemetry.Source.StartActivity("dataset vectors");
        activity?.SetTag("mlops.dataset.version", dataset.Version);
        activity?.SetTag("mlops.feature_set.version", set.Version);
        activity?.SetTag("mlops.entities", entityIds.Count);
        context.Response.ContentType = "application/x-ndjson";
        context.Response.Headers[TrainingSetHeaders.DatasetVersion] = dataset.Version;
        var only = request!.FeatureNames is { Count: > 0 } names ? names.ToHashSet(StringComparer.Ordinal) : null;
        await foreach (var computed in vectors.ComputeAsync(dataset, set, entityIds, times, request.LabelName, cancellationToken))
        {
            // A model's inputs only, when asked: a batch row carries a few features, not the whole set.
            var row = only is null ? computed : computed with { Features = computed.Features.Where(f => only.Contains(f.Key)).ToDictionary(StringComparer.Ordinal) };
            await JsonSerializer.SerializeAsync(context.Response.Body, row, FeatureStore.Json, cancellationToken);
            await context.Response.Body.WriteAsync("\n"u8.ToArray(), cancellationToken);
        }
    }

    /// <summary>The dataset version, asked before anything is streamed so an unknown one is a 404, not a broken 200 stream.</summary>
    static async Task<DatasetVersionInfo?> DescribeOrNotFoundAsync(DatasetVectors vectors, string datasetVersion, HttpContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await vectors.DescribeAsync(datasetVersion, cancellationToken);
        }
        catch (DatasetVersionNotFoundException ex)
        {
            await TypedResults.Problem(title: "Unknown dataset version", detail: ex.Message, statusCode: StatusCodes.Status404NotFound,
                extensions: new Dictionary<string, object?> { ["field"] = "datasetVersion" }).ExecuteAsync(context);
            return null;
        }
    }
}
