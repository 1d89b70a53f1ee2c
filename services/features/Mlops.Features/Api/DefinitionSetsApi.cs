using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Mlops.Features.Definitions;
using Mlops.Features.Storage;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Features.Api;

/// <summary>
/// Feature definition sets: the shipped one plus sets registered (and re-versioned) at run time, computed by streaming
/// on every replica without a restart — what <c>feast apply</c> gives Feast users.
/// </summary>
public static class DefinitionSetsApi
{
    // The configuration section's shape; a member the set does not have is an error, not silently ignored.
    static readonly JsonSerializerOptions BodyJson = new(FeatureStore.Json) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    /// <summary>A set as the service computes it, and where it comes from.</summary>
    /// <param name="Name">The set's name (<c>?set=</c>, <c>featureSet</c>).</param>
    /// <param name="Source"><c>configuration</c> or <c>registered</c>.</param>
    /// <param name="Version">Name plus content hash: what vectors, training rows and models record.</param>
    /// <param name="RegisteredAt">When this version was registered (null for the configured set).</param>
    /// <param name="RegisteredBy">Who registered it, when they said.</param>
    /// <param name="FeatureNames">The features the set produces, in order.</param>
    /// <param name="Definitions">The definitions, in the configuration section's shape.</param>
    public sealed record DefinitionSetEntry(
        string Name, string Source, string Version, DateTimeOffset? RegisteredAt, string? RegisteredBy, IReadOnlyList<string> FeatureNames, object Definitions);

    /// <summary>Maps the endpoints under <c>/api/features/definition-sets</c>.</summary>
    public static IEndpointRouteBuilder MapDefinitionSetsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/features/definition-sets").WithTags("Feature definition sets");
        api.MapGet("/", List);
        api.MapGet("/{name}", Get);
        api.MapGet("/{name}/versions", Versions);
        api.MapPut("/{name}", Register);
        return routes;
    }

    static async Task<Ok<List<DefinitionSetEntry>>> List(FeatureSetCatalog catalog, CancellationToken cancellationToken)
    {
        await catalog.RefreshAsync(cancellationToken);
        return TypedResults.Ok(new List<DefinitionSetEntry> { Configured(catalog.Shipped) }.Concat(catalog.Registered.Values.OrderBy(r => r.Name, StringComparer.Ordinal).Select(Entry)).ToList());
    }

    static async Task<Results<Ok<DefinitionSetEntry>, ProblemHttpResult, ValidationProblem>> Get(string name, FeatureSetCatalog catalog, CancellationToken cancellationToken)
    {
        if (InputText.IdentifierProblem("name", name) is { } problem)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = [problem] }, title: "The request is invalid");
        }

        await catalog.RefreshAsync(cancellationToken);
        return name == catalog.Shipped.Name ? TypedResults.Ok(Configured(catalog.Shipped))
            : catalog.Registered.TryGetValue(name, out var registered) ? TypedResults.Ok(Entry(registered))
            : UnknownSet(name);
    }

    static async Task<Results<Ok<List<DefinitionSetEntry>>, ProblemHttpResult, ValidationProblem>> Versions(
        string name, FeatureSetCatalog catalog, RegisteredFeatureSetStore store, CancellationToken cancellationToken)
    {
        if (InputText.IdentifierProblem("name", name) is { } problem)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = [problem] }, title: "The request is invalid");
        }

        if (name == catalog.Shipped.Name)
        {
            return TypedResults.Ok(new List<DefinitionSetEntry> { Configured(catalog.Shipped) });
        }

        var versions = await store.VersionsAsync(name, cancellationToken);
        return versions.Count > 0 ? TypedResults.Ok(versions.Select(Entry).ToList()) : UnknownSet(name);
    }

    static async Task<Results<Created<DefinitionSetEntry>, Ok<DefinitionSetEntry>, ValidationProblem>> Register(
        string name, string? registeredBy, JsonElement body, FeatureSetCatalog catalog, RegisteredFeatureSetStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        Add(errors, "name", FeatureSetRules.NameProblem(name) ?? (name == catalog.Shipped.Name
            ? $"'{name}' is the shipped set, defined in configuration; register a set under another name"
            : null));
        Add(errors, "registeredBy", InputText.IdentifierProblem("registeredBy", registeredBy));

        FeatureDefinitions? set = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            Add(errors, "$", $"the body must be a JSON object in the shape of the Features configuration section, got {body.ValueKind.ToString().ToLowerInvariant()}");
        }
        else
        {
            // The route names the set; a name in the body may repeat it, never contradict it.
            foreach (var member in body.EnumerateObject().Where(m => string.Equals(m.Name, "name", StringComparison.OrdinalIgnoreCase)))
            {
                if (member.Value.ValueKind != JsonValueKind.String || member.Value.GetString() != name)
                {
                    Add(errors, "name", $"the body's name {member.Value.GetRawText()} differs from the name in the route '{name}'");
                }
            }

            try
            {
                set = body.Deserialize<FeatureDefinitions>(BodyJson);
                if (set is not null)
                {
                    // "Aggregations": null or "Ratios": null mean none, as leaving them out does.
                    set.Aggregations ??= [];
                    set.Ratios ??= [];
                    set.Name = name;
                }
            }
            catch (JsonException ex)
            {
                var field = ex.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "$";
                var message = ex.Message.IndexOf(" Path: ", StringComparison.Ordinal) is var cut and >= 0 ? ex.Message[..cut] : ex.Message;
                Add(errors, field, $"{field} could not be read: {message}");
            }
        }

        foreach (var (field, problem) in set is null ? [] : FeatureSetRules.Check(set))
        {
            // The route's name was checked above; the body's copy of it would only repeat the problem.
            if (field != "name")
            {
                Add(errors, field, problem);
            }
        }

        if (errors.Count > 0 || set is null)
        {
            return TypedResults.ValidationProblem(errors, title: "The feature definition set is invalid");
        }

        var (registered, created) = await store.RegisterAsync(set, registeredBy, cancellationToken);
        await catalog.ApplyAsync(registered, cancellationToken);
        var entry = Entry(registered);
        return created
            ? TypedResults.Created($"/api/features/definition-sets/{Uri.EscapeDataString(name)}", entry)
            : TypedResults.Ok(entry);
    }

    static DefinitionSetEntry Configured(FeatureDefinitions set) =>
        new(set.Name, "configuration", set.Version, null, null, set.FeatureNames, RegisteredFeatureSetStore.Shape(set));

    static DefinitionSetEntry Entry(RegisteredFeatureSet set) =>
        new(set.Name, "registered", set.Version, set.RegisteredAt, set.RegisteredBy, set.Definitions.FeatureNames, RegisteredFeatureSetStore.Shape(set.Definitions));

    static ProblemHttpResult UnknownSet(string name) =>
        TypedResults.Problem(title: "Unknown feature set", detail: $"no feature definition set named '{name}'", statusCode: StatusCodes.Status404NotFound);

    static void Add(Dictionary<string, string[]> errors, string field, string? problem)
    {
        if (problem is not null)
        {
            errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, problem] : [problem];
        }
    }
}
