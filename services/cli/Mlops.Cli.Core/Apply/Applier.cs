using System.Net;
using System.Text.Json.Nodes;
using Mlops.Cli.Core.Gateway;

namespace Mlops.Cli.Core.Apply;

/// <summary>
/// Registers a file's schemas with ingestion and then its feature sets with features, through the gateway. Schemas go
/// first so a set over a new code finds it accepted by the time observations of it arrive; a refusal does not stop the
/// rest (every problem is shown at once), and a 4xx is an outcome while an unreachable service still throws.
/// </summary>
public static class Applier
{
    /// <summary>Sends every item in order; <paramref name="progress"/> hears about each as it is answered.</summary>
    public static async Task<IReadOnlyList<AppliedItem>> ApplyAsync(
        GatewayClient client, ApplyFile file, string registeredBy, Action<AppliedItem>? progress, CancellationToken ct)
    {
        if (file.Problems.Count > 0)
        {
            throw new InvalidOperationException("the file has problems; fix them before applying: " + string.Join("; ", file.Problems.Select(p => $"{p.Field}: {p.Message}")));
        }

        var by = Uri.EscapeDataString(registeredBy);
        var results = new List<AppliedItem>();
        foreach (var (code, body) in file.Schemas)
        {
            var item = await PutAsync(client, "schema", code, $"api/ingestion/schemas/{Uri.EscapeDataString(code)}?registeredBy={by}", body, ct);
            results.Add(item);
            progress?.Invoke(item);
        }

        foreach (var (name, body) in file.FeatureSets)
        {
            var item = await PutAsync(client, "feature set", name, $"api/features/definition-sets/{Uri.EscapeDataString(name)}?registeredBy={by}", body, ct);
            results.Add(item);
            progress?.Invoke(item);
        }

        return results;
    }

    static async Task<AppliedItem> PutAsync(GatewayClient client, string kind, string name, string path, JsonObject body, CancellationToken ct)
    {
        try
        {
            var (status, answer) = await client.SendWithStatusAsync(HttpMethod.Put, path, body, ct);
            var version = answer?["version"]?.ToString();
            return new AppliedItem(kind, name, status == HttpStatusCode.Created ? ApplyStatus.Created : ApplyStatus.Unchanged, version, []);
        }
        catch (ApiProblem problem) when ((int)problem.Status is >= 400 and < 500)
        {
            return new AppliedItem(kind, name, ApplyStatus.Refused, null, FieldProblems(problem));
        }
    }

    /// <summary>Every <c>errors</c> entry of a ValidationProblem as <c>field: message</c>; else the title/detail.</summary>
    public static IReadOnlyList<string> FieldProblems(ApiProblem problem)
    {
        var list = new List<string>();
        if (problem.Problem?["errors"] is JsonObject errors)
        {
            foreach (var (field, messages) in errors)
            {
                foreach (var message in messages is JsonArray a ? a.Select(m => m?.ToString()) : [messages?.ToString()])
                {
                    list.Add($"{field}: {message}");
                }
            }
        }

        if (list.Count == 0)
        {
            var detail = problem.Problem?["detail"]?.ToString() ?? problem.Problem?["title"]?.ToString();
            list.Add($"{(int)problem.Status} {problem.Status}{(detail is null ? "" : ": " + detail)}");
        }

        return list;
    }
}
