using Microsoft.AspNetCore.Mvc;
using Mlops.Gateway.Security;

namespace Mlops.Gateway.Dashboard;

/// <summary>
/// Refuses (403 ProblemDetails) a POST, PUT, PATCH or DELETE authenticated by the session cookie that does not carry
/// the session's <see cref="DashboardSession.CsrfHeader"/>. Requests with <c>X-Api-Key</c> are not affected: a key
/// in a header is not something a browser adds on its own.
/// </summary>
public sealed class CsrfProtectionMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, IProblemDetailsService problems)
    {
        if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) || HttpMethods.IsOptions(context.Request.Method)
            || context.User.FindFirst(ApiKeyAuthenticationHandler.ViaClaim)?.Value != ApiKeyAuthenticationHandler.ViaCookie
            // Signing out needs no token: the worst a forged one does is sign the browser out.
            || context.Request.Path.Equals(SessionApi.SessionPath, StringComparison.OrdinalIgnoreCase))
        {
            await next(context);
            return;
        }

        var key = context.Request.Cookies[DashboardSession.KeyCookie]!;
        if (DashboardSession.IsValidToken(key, context.Request.Headers[DashboardSession.CsrfHeader].FirstOrDefault()))
        {
            await next(context);
            return;
        }

        DashboardTelemetry.CsrfRefused.Add(1);
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteProblemAsync(context, new ProblemDetails
        {
            Status = StatusCodes.Status403Forbidden,
            Title = "CSRF token required",
            Detail = $"{context.Request.Method} {context.Request.Path} came with the dashboard session cookie but without the session's {DashboardSession.CsrfHeader} header (the dashboard sends it; GET /api/gateway/me returns it).",
        });
    }
}
