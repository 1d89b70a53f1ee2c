using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Mlops.Training.Data;

/// <summary>Streams <c>POST /api/features/training-sets</c> (NDJSON) without buffering the whole set.</summary>
internal sealed class HttpTrainingSetSource(HttpClient http) : ITrainingSetSource
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async IAsyncEnumerable<TrainingSetRow> ReadAsync(string labelName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/features/training-sets") { Content = JsonContent.Create(new { labelName }) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
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
