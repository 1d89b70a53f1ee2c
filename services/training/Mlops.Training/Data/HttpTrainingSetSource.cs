using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Mlops.Training.Pipeline;

namespace Mlops.Training.Data;

/// <summary>Streams <c>POST /api/features/training-sets</c> (NDJSON) without buffering the whole set.</summary>
internal sealed class HttpTrainingSetSource(HttpClient http) : ITrainingSetSource
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async IAsyncEnumerable<TrainingSetRow> ReadAsync(string labelName, string? featureSetVersion, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Without a version the member is left out, so the features service answers with its shipped set.
        object body = featureSetVersion is null ? new { labelName } : new { labelName, featureSetVersion };
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/features/training-sets") { Content = JsonContent.Create(body, options: Json) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            // An unknown feature-set (or dataset) version does not appear on retry: the run fails, saying why.
            var problem = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new TrainingStepException($"the features service has no training set for feature set {featureSetVersion ?? "(shipped)"}: {problem}");
        }

        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0)
            {
                yield return JsonSerializer.Deserialize<TrainingSetRow>(line, Json)
                    ?? throw new JsonException("A training-set line was JSON null.");
            }
        }
    }
}
