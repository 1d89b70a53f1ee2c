using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc;

namespace Mlops.Gateway.Security;

/// <summary>
/// Answers a refused request with ProblemDetails that say what was wrong: 401 when the key is missing or not valid
/// (and why), 403 naming the key, its roles and the roles the route needs. The default handler would answer with an
/// empty body.
/// </summary>
public sealed class ProblemAuthorizationResultHandler(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged)
        {
            // The middleware keeps only successful results; the handler caches its result per request, so asking
            // again costs no second lookup.
            var failure = (await context.AuthenticateAsync(ApiKeyAuthenticationHandler.SchemeName)).Failure;
            context.Response.Headers.WWWAuthenticate = $"{ApiKeyAuthenticationHandler.SchemeName} header=\"{ApiKeyAuthenticationHandler.Header}\"";
            await WriteAsync(context, StatusCodes.Status401Unauthorized, failure is null ? "API key required" : "API key refused",
                failure?.Message ?? $"{context.Request.Method} {context.Request.Path} needs an API key in the {ApiKeyAuthenticationHandler.Header} header (see docs/security.md)");
            return;
        }

        if (authorizeResult.Forbidden)
        {
            var needed = policy.Requirements.OfType<RolesAuthorizationRequirement>().SelectMany(r => r.AllowedRoles).Distinct().ToArray();
            var held = context.User.FindAll(ClaimTypes.Role).Select(c => c.Value).ToArray();
            var id = context.User.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim);
            await WriteAsync(context, StatusCodes.Status403Forbidden, "Role required",
                $"API key '{id}' (roles: {(held.Length == 0 ? "none" : string.Join(", ", held))}) may not {context.Request.Method} {context.Request.Path}; it needs one of the roles: {string.Join(", ", needed)}",
                ("requiredRoles", needed), ("keyRoles", held));
            return;
        }

        await _default.HandleAsync(next, context, policy, authorizeResult);
    }

    async Task WriteAsync(HttpContext context, int status, string title, string detail, params (string Name, object Value)[] extensions)
    {
        SecurityTelemetry.Denied.Add(1, new KeyValuePair<string, object?>("status", status));
        context.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        foreach (var (name, value) in extensions)
        {
            problem.Extensions[name] = value;
        }

        await problems.WriteProblemAsync(context, problem);
    }
}
