using Microsoft.AspNetCore.Mvc;

namespace Mlops.Gateway.Security;

/// <summary>Writes ProblemDetails whatever the client's <c>Accept</c> header says.</summary>
internal static class ProblemWriting
{
    /// <summary>
    /// Through the problem details service (trace id, instance) when it agrees to; a client accepting only
    /// <c>text/html</c> would otherwise get an empty body, so then the JSON is written directly.
    /// </summary>
    public static async Task WriteProblemAsync(this IProblemDetailsService problems, HttpContext context, ProblemDetails problem)
    {
        if (!await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }))
        {
            problem.Instance ??= context.Request.Path;
            await context.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
        }
    }
}
