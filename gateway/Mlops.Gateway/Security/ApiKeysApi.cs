using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Mlops.Gateway.Security;

/// <summary>Key management at <c>/api/gateway/keys</c>, for admin keys only.</summary>
public static class ApiKeysApi
{
    public const string Path = "/api/gateway/keys";

    const int MaxNameLength = 100;

    public static IEndpointRouteBuilder MapApiKeysApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup(Path).WithTags("API keys").RequireAuthorization(Roles.Admin);
        api.MapPost("/", CreateAsync);
        api.MapGet("/", ListAsync);
        api.MapGet("/{id}", GetAsync);
        api.MapDelete("/{id}", RevokeAsync);
        return routes;
    }

    static async Task<Results<Created<CreatedKey>, ValidationProblem>> CreateAsync(
        CreateKeyRequest request, ClaimsPrincipal user, ApiKeyStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            errors["name"] = ["'name' is required: who or what will use the key."];
        }
        else if (name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            errors["name"] = [$"'name' must be at most {MaxNameLength} printable characters."];
        }

        var roles = request.Roles?.Select(r => r?.Trim().ToLowerInvariant() ?? "").Distinct().ToList() ?? [];
        var unknown = roles.Where(r => !Roles.All.Contains(r)).ToList();
        if (roles.Count == 0)
        {
            errors["roles"] = [$"'roles' needs at least one of: {string.Join(", ", Roles.All)}."];
        }
        else if (unknown.Count > 0)
        {
            errors["roles"] = [$"unknown role(s) {string.Join(", ", unknown.Select(r => $"'{r}'"))}; the roles are: {string.Join(", ", Roles.All)}."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The key request is invalid");
        }

        var ordered = Roles.All.Where(roles.Contains).ToList();
        while (true)
        {
            var (id, key) = ApiKeySecret.Generate();
            ApiKeySecret.TryParse(key, out _, out var secret);
            var record = new ApiKeyRecord(id, name!, ordered, ApiKeySecret.Hash(secret!), time.GetUtcNow(), user.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim), null);
            if (await store.TryInsertAsync(record, cancellationToken))
            {
                return TypedResults.Created($"{Path}/{id}", new CreatedKey(id, record.Name, ordered, record.CreatedAt, key));
            }
        }
    }

    static async Task<Ok<IReadOnlyList<KeyInfo>>> ListAsync(ApiKeyStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok<IReadOnlyList<KeyInfo>>((await store.ListAsync(cancellationToken)).Select(KeyInfo.From).ToList());

    static async Task<Results<Ok<KeyInfo>, ProblemHttpResult>> GetAsync(string id, ApiKeyStore store, CancellationToken cancellationToken) =>
        await store.FindAsync(id.ToLowerInvariant(), cancellationToken) is { } key ? TypedResults.Ok(KeyInfo.From(key)) : NoSuchKey(id);

    /// <summary>Revokes a key: refused at once by this replica, and by the others within <see cref="ApiKeyOptions.CacheDuration"/>.</summary>
    static async Task<Results<Ok<KeyInfo>, ProblemHttpResult>> RevokeAsync(
        string id, ApiKeyStore store, ApiKeyValidator validator, TimeProvider time, CancellationToken cancellationToken)
    {
        var key = await store.RevokeAsync(id.ToLowerInvariant(), time.GetUtcNow(), cancellationToken);
        validator.Forget(id.ToLowerInvariant());
        return key is null ? NoSuchKey(id) : TypedResults.Ok(KeyInfo.From(key));
    }

    static ProblemHttpResult NoSuchKey(string id) =>
        TypedResults.Problem(title: "No such key", detail: $"there is no API key with id '{id}'", statusCode: StatusCodes.Status404NotFound);
}
