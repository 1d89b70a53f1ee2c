using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Mlops.ServiceDefaults.Http;

/// <summary>
/// Turns a request the framework could not bind — malformed JSON, a missing body, the wrong content type, an
/// unparsable route or query value — into a 4xx problem details answer that says where and why. Minimal APIs
/// otherwise answer a bare "Bad Request" (route handlers are set to throw instead, see <see cref="ServiceDefaultsExtensions"/>).
/// </summary>
public sealed class BadRequestExceptionHandler(IProblemDetailsService problemDetailsService) : IExceptionHandler
{
    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        var problem = Describe(badRequest, httpContext.Request);
        httpContext.Response.StatusCode = problem.Status!.Value;
        if (!await problemDetailsService.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception }))
        {
            // A client that accepts no JSON still gets the reason rather than the 500 the middleware falls back to.
            await httpContext.Response.WriteAsJsonAsync(problem, (JsonSerializerOptions?)null, "application/problem+json", cancellationToken);
        }

        return true;
    }

    /// <summary>The problem for a bad request: status from the exception (4xx), detail naming the position for JSON errors.</summary>
    public static ProblemDetails Describe(BadHttpRequestException exception, HttpRequest request)
    {
        var status = exception.StatusCode is >= 400 and < 500 ? exception.StatusCode : StatusCodes.Status400BadRequest;
        var json = FindJsonException(exception);
        if (json is null && HasNoBody(request) && exception.Message.Contains("body", StringComparison.OrdinalIgnoreCase))
        {
            // The framework's own words here ("Did you mean to use a Service instead?") speak to the developer, not the caller.
            return new ProblemDetails
            {
                Status = status,
                Title = "The request body is missing",
                Detail = "the request body is empty; this endpoint expects a JSON body (Content-Type: application/json)",
            };
        }

        if (json is null)
        {
            return new ProblemDetails
            {
                Status = status,
                Title = status == StatusCodes.Status415UnsupportedMediaType ? "Unsupported content type" : "The request is invalid",
                Detail = exception.Message,
            };
        }

        var problem = new ProblemDetails
        {
            Status = status,
            Title = "The request body is not valid JSON for this endpoint",
            Detail = $"{exception.Message} {Reason(json)}{Position(json)}",
        };
        if (json.Path is not null)
        {
            problem.Extensions["path"] = json.Path;
        }

        if (json.LineNumber is { } line)
        {
            problem.Extensions["line"] = line + 1;
        }

        if (json.BytePositionInLine is { } position)
        {
            problem.Extensions["bytePositionInLine"] = position;
        }

        return problem;
    }

    static bool HasNoBody(HttpRequest request) =>
        request.ContentLength == 0
        || (request.ContentLength is null && !request.Headers.ContainsKey("Transfer-Encoding")
            && (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method)));

    static JsonException? FindJsonException(Exception exception)
    {
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is JsonException json)
            {
                return json;
            }
        }

        return null;
    }

    // System.Text.Json appends "Path: … | LineNumber: … | BytePositionInLine: …" to its message; the position is
    // reported separately, 1-based lines, so the reason is cut before it.
    static string Reason(JsonException json)
    {
        var message = json.Message;
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return (cut < 0 ? message : message[..cut]).TrimEnd();
    }

    static string Position(JsonException json)
    {
        var parts = new List<string>(3);
        if (json.LineNumber is { } line)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"line {line + 1}"));
        }

        if (json.BytePositionInLine is { } position)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"byte {position} of that line (0-based)"));
        }

        if (json.Path is not null)
        {
            parts.Add($"JSON path {json.Path}");
        }

        return parts.Count == 0 ? "" : $" (at {string.Join(", ", parts)})";
    }
}
