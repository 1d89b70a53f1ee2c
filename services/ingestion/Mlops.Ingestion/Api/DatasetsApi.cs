using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Mlops.Ingestion.Datasets;
using Mlops.Kafka;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Ingestion.Api;

/// <summary>Dataset versions: create (snapshot), list, describe, and stream rows as NDJSON.</summary>
public static class DatasetsApi
{
    /// <summary>
    /// Request to snapshot the raw store, all of it or a scope: codes, source systems, event times at or after
    /// <c>Since</c> and before <c>Until</c>.
    /// </summary>
    public sealed record CreateDatasetVersion(
        IReadOnlyList<string>? Codes, string? CreatedBy, string? Description, IReadOnlyList<string>? Sources = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null);

    /// <summary>Source systems one version may name.</summary>
    public const int MaxSources = 100;

    /// <summary>Request for a version's rows of some entities.</summary>
    /// <param name="EntityIds">The entities, at most <see cref="MaxQueryEntities"/>.</param>
    public sealed record DatasetRowsQuery(IReadOnlyList<string>? EntityIds);

    /// <summary>Entities one rows query may name (a consumer pages through more).</summary>
    public const int MaxQueryEntities = 1000;

    /// <summary>Maps the endpoints under <c>/api/ingestion/datasets</c>.</summary>
    public static IEndpointRouteBuilder MapDatasetsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/ingestion/datasets").WithTags("Datasets");
        api.MapPost("/", Create);
        api.MapGet("/", async (DatasetStore store, CancellationToken ct) => TypedResults.Ok(await store.ListAsync(ct)));
        api.MapGet("/{version}", Get);
        api.MapGet("/{version}/observations", StreamRows);
        api.MapGet("/{version}/entities", StreamEntities);
        // A read with a body (the entity list is too long for a URL); the gateway gives it the ingest role of POSTs.
        api.MapPost("/{version}/observations/query", StreamEntityRows);
        return routes;
    }

    static async Task<Results<Created<DatasetVersion>, ValidationProblem>> Create(CreateDatasetVersion? request, DatasetStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var codes = request?.Codes ?? [];
        for (var i = 0; i < codes.Count; i++)
        {
            AddProblem(errors, $"codes[{i}]", codes[i] is null ? $"codes[{i}] is null" : InputText.IdentifierProblem($"codes[{i}]", codes[i]));
        }

        var sources = request?.Sources ?? [];
        if (sources.Count > MaxSources)
        {
            errors["sources"] = [$"sources names {sources.Count} source systems; at most {MaxSources}"];
        }

        for (var i = 0; i < sources.Count && i < MaxSources; i++)
        {
            AddProblem(errors, $"sources[{i}]", sources[i] is null ? $"sources[{i}] is null" : InputText.IdentifierProblem($"sources[{i}]", sources[i]));
        }

        if (request is { Since: { } since, Until: { } until } && since >= until)
        {
            errors["until"] = [$"until {until:O} must be after since {since:O}: the range takes event times at or after since and before until"];
        }

        AddProblem(errors, "createdBy", InputText.IdentifierProblem("createdBy", request?.CreatedBy));
        AddProblem(errors, "description", InputText.FreeTextProblem("description", request?.Description));
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The dataset version request is invalid");
        }

        var scope = new DatasetScope(request?.Codes, request?.Sources, request?.Since, request?.Until);
        var version = await store.CreateAsync(scope, request?.CreatedBy, request?.Description, cancellationToken);
        return TypedResults.Created($"/api/ingestion/datasets/{Uri.EscapeDataString(version.Version)}", version);
    }

    static void AddProblem(Dictionary<string, string[]> errors, string field, string? problem)
    {
        if (problem is not null)
        {
            errors[field] = [problem];
        }
    }

    static async Task<Results<Ok<DatasetVersion>, NotFound<ProblemDetailsBody>, ValidationProblem>> Get(string version, DatasetStore store, CancellationToken cancellationToken)
    {
        if (InputText.IdentifierProblem("version", version) is { } problem)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["version"] = [problem] }, title: "The request is invalid");
        }

        return await store.GetAsync(version, cancellationToken) is { } found
            ? TypedResults.Ok(found)
            : TypedResults.NotFound(new ProblemDetailsBody("Dataset version not found", $"no dataset version '{version}'"));
    }

    static async Task StreamRows(string version, string? order, DatasetStore store, HttpContext context, CancellationToken cancellationToken)
    {
        if (InputText.IdentifierProblem("version", version) is { } versionProblem)
        {
            await TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["version"] = [versionProblem] }, title: "The request is invalid").ExecuteAsync(context);
            return;
        }

        if (order is not null and not "sequence" and not "entity")
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new { title = "The request is invalid", status = 400, detail = $"order must be 'sequence' or 'entity', not '{order}'" }, cancellationToken);
            return;
        }

        if (await store.GetAsync(version, cancellationToken) is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsJsonAsync(new ProblemDetailsBody("Dataset version not found", $"no dataset version '{version}'"), cancellationToken);
            return;
        }

        context.Response.ContentType = "application/x-ndjson";
        await foreach (var row in store.ReadAsync(version, order == "entity", cancellationToken))
        {
            await JsonSerializer.SerializeAsync(context.Response.Body, row, EnvelopeSerializer.Options, cancellationToken);
            await context.Response.Body.WriteAsync("\n"u8.ToArray(), cancellationToken);
        }
    }

    /// <summary>The version's distinct entity ids as NDJSON strings, byte order: the population a batch job scores.</summary>
    static async Task StreamEntities(string version, DatasetStore store, HttpContext context, CancellationToken cancellationToken)
    {
        if (InputText.IdentifierProblem("version", version) is { } versionProblem)
        {
            await TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["version"] = [versionProblem] }, title: "The request is invalid").ExecuteAsync(context);
            return;
        }

        if (await store.GetAsync(version, cancellationToken) is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsJsonAsync(new ProblemDetailsBody("Dataset version not found", $"no dataset version '{version}'"), cancellationToken);
            return;
        }

        context.Response.ContentType = "application/x-ndjson";
        await foreach (var entityId in store.ReadEntityIdsAsync(version, cancellationToken))
        {
            await JsonSerializer.SerializeAsync(context.Response.Body, entityId, EnvelopeSerializer.Options, cancellationToken);
            await context.Response.Body.WriteAsync("\n"u8.ToArray(), cancellationToken);
        }
    }

    static async Task StreamEntityRows(string version, DatasetRowsQuery? query, DatasetStore store, HttpContext context, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        AddProblem(errors, "version", InputText.IdentifierProblem("version", version));
        var entityIds = query?.EntityIds ?? [];
        if (entityIds.Count == 0)
        {
            errors["entityIds"] = ["entityIds must name at least one entity"];
        }
        else if (entityIds.Count > MaxQueryEntities)
        {
            errors["entityIds"] = [$"entityIds names {entityIds.Count} entities; at most {MaxQueryEntities} per request"];
        }

        for (var i = 0; i < entityIds.Count && errors.Count < 20; i++)
        {
            AddProblem(errors, $"entityIds[{i}]", entityIds[i] is null ? $"entityIds[{i}] is null" : InputText.IdentifierProblem($"entityIds[{i}]", entityIds[i]));
        }

        if (errors.Count > 0)
        {
            await TypedResults.ValidationProblem(errors, title: "The request is invalid").ExecuteAsync(context);
            return;
        }

        if (await store.GetAsync(version, cancellationToken) is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsJsonAsync(new ProblemDetailsBody("Dataset version not found", $"no dataset version '{version}'"), cancellationToken);
            return;
        }

        using var activity = IngestionTelemetry.Source.StartActivity("read dataset entities");
        activity?.SetTag("mlops.dataset.version", version);
        activity?.SetTag("mlops.entities", entityIds.Count);
        context.Response.ContentType = "application/x-ndjson";
        await foreach (var row in store.ReadEntitiesAsync(version, entityIds.Distinct(StringComparer.Ordinal).ToArray(), cancellationToken))
        {
            await JsonSerializer.SerializeAsync(context.Response.Body, row, EnvelopeSerializer.Options, cancellationToken);
            await context.Response.Body.WriteAsync("\n"u8.ToArray(), cancellationToken);
        }
    }

    /// <summary>A minimal problem body for 404s returned as typed results.</summary>
    public sealed record ProblemDetailsBody(string Title, string Detail)
    {
        /// <summary>HTTP status.</summary>
        public int Status => StatusCodes.Status404NotFound;
    }
}
