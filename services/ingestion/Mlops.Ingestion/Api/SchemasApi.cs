using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Mlops.Ingestion.Schemas;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Ingestion.Api;

/// <summary>
/// The schema catalogue: configured codes plus codes registered (and re-versioned) at run time, used by validation on
/// every replica without a restart.
/// </summary>
public static class SchemasApi
{
    // The configuration file's shape; a member the schema does not have is an error, not silently ignored.
    static readonly JsonSerializerOptions BodyJson = new(RegisteredSchemaStore.Json) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    /// <summary>A code as the catalogue uses it, and where it comes from.</summary>
    /// <param name="Code">The observation code.</param>
    /// <param name="Source"><c>configuration</c> or <c>registered</c>.</param>
    /// <param name="Version">The registered version in use; null for configured codes.</param>
    /// <param name="RegisteredAt">When that version was registered.</param>
    /// <param name="Schema">The schema, in the configuration file's shape.</param>
    public sealed record SchemaEntry(string Code, string Source, int? Version, DateTimeOffset? RegisteredAt, ObservationSchema Schema);

    /// <summary>Maps the endpoints under <c>/api/ingestion/schemas</c>.</summary>
    public static IEndpointRouteBuilder MapSchemasApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/ingestion/schemas").WithTags("Schemas");
        api.MapGet("/", List);
        api.MapGet("/{code}", Get);
        api.MapGet("/{code}/versions", Versions);
        api.MapPut("/{code}", Register);
        return routes;
    }

    static async Task<Ok<List<SchemaEntry>>> List(SchemaCatalog catalog, CancellationToken cancellationToken)
    {
        await catalog.RefreshAsync(cancellationToken);
        return TypedResults.Ok(catalog.All.Keys.Order(StringComparer.Ordinal).Select(code => Entry(catalog, code)).ToList());
    }

    static async Task<Results<Ok<SchemaEntry>, ProblemHttpResult>> Get(string code, SchemaCatalog catalog, CancellationToken cancellationToken)
    {
        await catalog.RefreshAsync(cancellationToken);
        return catalog.TryGet(code, out _)
            ? TypedResults.Ok(Entry(catalog, code))
            : TypedResults.Problem(title: "Unknown observation code", detail: $"no observation schema for code '{code}'", statusCode: StatusCodes.Status404NotFound);
    }

    static async Task<Results<Ok<IReadOnlyList<RegisteredSchema>>, ProblemHttpResult, ValidationProblem>> Versions(string code, RegisteredSchemaStore store, CancellationToken cancellationToken)
    {
        if (InputText.IdentifierProblem("code", code) is { } problem)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["code"] = [problem] }, title: "The request is invalid");
        }

        var versions = await store.VersionsAsync(code, cancellationToken);
        return versions.Count > 0
            ? TypedResults.Ok(versions)
            : TypedResults.Problem(title: "No registered versions", detail: $"code '{code}' was never registered at run time", statusCode: StatusCodes.Status404NotFound);
    }

    static async Task<Results<Created<SchemaEntry>, Ok<SchemaEntry>, ValidationProblem>> Register(
        string code, string? registeredBy, JsonElement body, RegisteredSchemaStore store, SchemaCatalog catalog, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var codeProblem = string.IsNullOrWhiteSpace(code) ? "code is required"
            : code.Length > SchemaRules.MaxCodeLength ? $"code is longer than {SchemaRules.MaxCodeLength} characters"
            : code != code.Trim() ? "code must not start or end with whitespace"
            : InputText.IdentifierProblem("code", code);
        Add(errors, "code", codeProblem);
        Add(errors, "registeredBy", InputText.IdentifierProblem("registeredBy", registeredBy));

        ObservationSchema? schema = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            Add(errors, "$", $"the body must be a JSON object in the shape of an entry of Ingestion:Schemas, got {body.ValueKind.ToString().ToLowerInvariant()}");
        }
        else
        {
            try
            {
                schema = body.Deserialize<ObservationSchema>(BodyJson);
                if (schema is not null)
                {
                    // "Conversions": null or "Categories": null mean none, as leaving them out does.
                    schema.Conversions ??= new Dictionary<string, UnitConversion>(StringComparer.Ordinal);
                    schema.Categories ??= [];
                }
            }
            catch (JsonException ex)
            {
                var field = ex.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "$";
                var message = ex.Message.IndexOf(" Path: ", StringComparison.Ordinal) is var cut and >= 0 ? ex.Message[..cut] : ex.Message;
                Add(errors, field, $"{field} could not be read: {message}");
            }
        }

        foreach (var (field, problem) in schema is null ? [] : SchemaRules.Check(schema))
        {
            Add(errors, field, problem);
        }

        if (errors.Count > 0 || schema is null)
        {
            return TypedResults.ValidationProblem(errors, title: "The observation schema is invalid");
        }

        var (registered, created) = await store.RegisterAsync(code, schema, registeredBy, cancellationToken);
        await catalog.ApplyAsync(registered, cancellationToken);
        var entry = new SchemaEntry(code, "registered", registered.Version, registered.RegisteredAt, registered.Schema);
        return created
            ? TypedResults.Created($"/api/ingestion/schemas/{Uri.EscapeDataString(code)}", entry)
            : TypedResults.Ok(entry);
    }

    static SchemaEntry Entry(SchemaCatalog catalog, string code) => catalog.RegisteredVersion(code) is { } registered
        ? new SchemaEntry(code, "registered", registered.Version, registered.RegisteredAt, registered.Schema)
        : new SchemaEntry(code, "configuration", null, null, catalog.All[code]);

    static void Add(Dictionary<string, string[]> errors, string field, string? problem)
    {
        if (problem is not null)
        {
            errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, problem] : [problem];
        }
    }
}
