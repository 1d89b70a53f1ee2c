using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Mlops.Gateway.Security;

namespace Mlops.Gateway.Dashboard;

/// <summary>
/// Sign-in for browsers (<c>POST/DELETE /api/gateway/session</c>) and who the caller is (<c>GET /api/gateway/me</c>),
/// which the dashboard reads to show only the actions the key's roles allow.
/// </summary>
public static class SessionApi
{
    public const string SessionPath = "/api/gateway/session";

    public const string MePath = "/api/gateway/me";

    /// <summary>How long a browser keeps the cookie; the key's own revocation ends it sooner.</summary>
    static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(12);

    public static IEndpointRouteBuilder MapSessionApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/gateway").WithTags("Dashboard session");
        // Anonymous by nature: the key is in the body. The JSON body also keeps it from being posted by another site's form.
        api.MapPost("/session", SignInAsync).AllowAnonymous()
            .WithSummary("Sign a browser in with an API key")
            .WithDescription("Checks the key and sets it as an HttpOnly, SameSite=Strict cookie (Secure over https). Returns the key's name, roles and the CSRF token that state-changing requests authenticated by the cookie must send in X-Csrf-Token.");
        api.MapDelete("/session", SignOut).AllowAnonymous().WithSummary("Sign the browser out (removes the cookie)");
        api.MapGet("/me", Me).RequireAuthorization(Roles.AnyKeyPolicy)
            .WithSummary("The calling key: id, name, roles, what it may do")
            .WithDescription("With the session cookie, also the CSRF token of the session.");
        return routes;
    }

    static async Task<Results<Ok<Identity>, ValidationProblem, ProblemHttpResult>> SignInAsync(
        SignInRequest? body, HttpContext context, ApiKeyValidator validator, CancellationToken ct)
    {
        var presented = body?.ApiKey?.Trim();
        if (string.IsNullOrEmpty(presented))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["apiKey"] = ["apiKey is required: paste an API key issued by POST /api/gateway/keys"] },
                title: "The sign-in request is invalid");
        }

        using var activity = DashboardTelemetry.Source.StartActivity("dashboard sign-in");
        var (check, key) = await validator.CheckAsync(presented, ct);
        DashboardTelemetry.SignIns.Add(1, new KeyValuePair<string, object?>("outcome", check.ToString()));
        if (check != KeyCheck.Valid)
        {
            var detail = check switch
            {
                KeyCheck.Malformed => $"apiKey is not an API key issued by this platform (expected {ApiKeySecret.Prefix}<id>_<secret>)",
                KeyCheck.Revoked => $"API key '{key!.Id}' was revoked at {key.RevokedAt:O}",
                _ => "apiKey is not a valid API key (unknown id or wrong secret)",
            };
            return TypedResults.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "API key refused");
        }

        context.Response.Cookies.Append(DashboardSession.KeyCookie, presented, DashboardSession.CookieOptions(context.Request, SessionLifetime));
        return TypedResults.Ok(Identity.Of(key!.Id, key.Name, key.Roles, ApiKeyAuthenticationHandler.ViaCookie, DashboardSession.CsrfTokenFor(presented)));
    }

    static NoContent SignOut(HttpContext context)
    {
        context.Response.Cookies.Delete(DashboardSession.KeyCookie, DashboardSession.CookieOptions(context.Request, null));
        return TypedResults.NoContent();
    }

    static Ok<Identity> Me(ClaimsPrincipal user, HttpContext context)
    {
        var via = user.FindFirstValue(ApiKeyAuthenticationHandler.ViaClaim) ?? ApiKeyAuthenticationHandler.ViaHeader;
        var token = via == ApiKeyAuthenticationHandler.ViaCookie && context.Request.Cookies[DashboardSession.KeyCookie] is { } key
            ? DashboardSession.CsrfTokenFor(key)
            : null;
        return TypedResults.Ok(Identity.Of(user.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim)!, user.FindFirstValue(ClaimTypes.Name) ?? "",
            user.FindAll(ClaimTypes.Role).Select(c => c.Value).ToList(), via, token));
    }
}

/// <summary>Body of <c>POST /api/gateway/session</c>.</summary>
public sealed record SignInRequest(string? ApiKey);

/// <summary>
/// A key as the dashboard needs it. <see cref="Can"/> names the policies the key satisfies (<c>operate</c>,
/// <c>admin</c>, …), computed from <see cref="Roles.Policies"/> so the buttons follow the same table as the routes.
/// </summary>
public sealed record Identity(string KeyId, string Name, IReadOnlyList<string> Roles, IReadOnlyList<string> Can, string Via, string? CsrfToken)
{
    public static Identity Of(string id, string name, IReadOnlyList<string> roles, string via, string? csrfToken) =>
        new(id, name, roles,
            Security.Roles.Policies.Where(p => p.Value.Length == 0 || p.Value.Any(roles.Contains)).Select(p => p.Key).ToList(),
            via, csrfToken);
}
