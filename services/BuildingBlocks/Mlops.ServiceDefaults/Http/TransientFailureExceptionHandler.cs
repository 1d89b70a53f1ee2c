using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Mlops.ServiceDefaults.Resilience;

namespace Mlops.ServiceDefaults.Http;

/// <summary>
/// A request that failed because a dependency (the service's database above all) did not answer gets 503 with
/// <c>Retry-After</c>, not a 500: nothing is wrong with the request, and the caller should send it again. Intakes are
/// idempotent by id, so a retried request that did get through the first time is acknowledged as a duplicate.
/// </summary>
public sealed class TransientFailureExceptionHandler(IProblemDetailsService problemDetailsService, ILogger<TransientFailureExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>Seconds a caller is asked to wait: long enough for a database restart to be noticed, short enough not to queue much.</summary>
    public const int RetryAfterSeconds = 5;

    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        // A client that went away cancelled the request itself; that is not a dependency failure.
        if (!TransientFailure.Is(exception, httpContext.RequestAborted))
        {
            return false;
        }

        var dependency = TransientFailure.DependencyOf(exception);
        logger.LogWarning("{Method} {Path}: {Dependency} unavailable ({Type}: {Message}); answered 503",
            httpContext.Request.Method, httpContext.Request.Path, dependency, exception.GetType().Name, exception.Message);
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "The service is temporarily unavailable",
            Detail = $"the service's {dependency} did not answer ({exception.GetType().Name}); nothing was wrong with the request — send it again after {RetryAfterSeconds} s",
        };
        problem.Extensions["dependency"] = dependency;
        problem.Extensions["retryAfterSeconds"] = RetryAfterSeconds;
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        if (!await problemDetailsService.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception }))
        {
            await httpContext.Response.WriteAsJsonAsync(problem, (JsonSerializerOptions?)null, "application/problem+json", cancellationToken);
        }

        return true;
    }
}
