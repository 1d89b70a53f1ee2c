using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Mlops.Cli.Core.Gateway;

/// <summary>An API answered with an error; <see cref="Exception.Message"/> reads the ProblemDetails for a person.</summary>
public sealed class ApiProblem(string request, HttpStatusCode status, JsonNode? problem, string rawBody)
    : Exception(Describe(request, status, problem, rawBody))
{
    /// <summary>The HTTP status.</summary>
    public HttpStatusCode Status { get; } = status;

    /// <summary>The ProblemDetails body, when the answer had one.</summary>
    public JsonNode? Problem { get; } = problem;

    static string Describe(string request, HttpStatusCode status, JsonNode? problem, string rawBody)
    {
        var text = new StringBuilder($"{request} → {(int)status} {status}");
        if (problem is JsonObject p)
        {
            if (p["title"]?.GetValue<string>() is { } title)
            {
                text.Append(": ").Append(title);
            }

            if (p["detail"]?.GetValue<string>() is { Length: > 0 } detail)
            {
                text.AppendLine().Append("  ").Append(detail);
            }

            if (p["errors"] is JsonObject errors)
            {
                foreach (var (field, messages) in errors)
                {
                    var list = messages is JsonArray a ? string.Join("; ", a.Select(m => m?.ToString())) : messages?.ToString();
                    text.AppendLine().Append("  ").Append(field).Append(": ").Append(list);
                }
            }

            if (p["failedCriteria"] is JsonArray criteria && p["detail"] is null)
            {
                foreach (var c in criteria)
                {
                    text.AppendLine().Append("  - ").Append(c);
                }
            }
        }
        else if (rawBody.Length > 0)
        {
            text.AppendLine().Append("  ").Append(rawBody.Length > 500 ? rawBody[..500] + "…" : rawBody);
        }
        else if (status == HttpStatusCode.NotFound)
        {
            text.AppendLine().Append("  (no body: the route may not exist on this gateway or service)");
        }

        return text.ToString();
    }
}
