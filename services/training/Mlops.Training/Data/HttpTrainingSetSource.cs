using System.Globalization;
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

    public async Task<TrainingSetStream> OpenAsync(TrainingSetQuery query, CancellationToken cancellationToken)
    {
        // Members left out are absent: no feature-set version → the shipped set; no dataset version → the live store.
        var body = new Dictionary<string, string> { ["labelName"] = query.LabelName };
        if (query.FeatureSetVersion is { } featureSet)
        {
            body["featureSetVersion"] = featureSet;
        }

        if (query.DatasetVersion is { } dataset)
        {
            body["datasetVersion"] = dataset;
        }

        if (query.LabelsFrom is { } from)
        {
            body["labelsFrom"] = from.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "api/features/training-sets") { Content = JsonContent.Create(body, options: Json) };
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        try
        {
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
            {
                // An unknown dataset or feature-set version does not appear on retry: the run fails, saying why.
                throw new TrainingStepException(
                    $"the features service refused the training set (label {query.LabelName}, dataset {query.DatasetVersion ?? "(live store)"}, " +
                    $"feature set {query.FeatureSetVersion ?? "(shipped)"}): {await ProblemTextAsync(response, cancellationToken)}");
            }

            response.EnsureSuccessStatusCode();
            var origin = OriginOf(response);
            if (query.DatasetVersion is not null && origin.DatasetVersion != query.DatasetVersion)
            {
                // A features service that ignored the dataset version would train on the live store unnoticed.
                throw new TrainingStepException(
                    $"the features service answered from {origin.Source} {origin.DatasetVersion}, not from dataset version {query.DatasetVersion}");
            }

            if (query.LabelsFrom is { } window && !(DateTimeOffset.TryParse(Header(response, "X-Labels-From"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var applied)
                && applied == window))
            {
                // A features service that ignored the window would train on all history unnoticed.
                throw new TrainingStepException($"the features service did not apply the window of labels from {window:O}");
            }

            return new TrainingSetStream(origin, ReadRowsAsync(response, cancellationToken), response);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    static string? Header(HttpResponseMessage response, string name) => response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    static TrainingSetOrigin OriginOf(HttpResponseMessage response) => new(
        Header(response, "X-Training-Set-Source") ?? "store",
        Header(response, "X-Dataset-Version"),
        long.TryParse(Header(response, "X-Dataset-Observations"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) ? count : null,
        DateTimeOffset.TryParse(Header(response, "X-Labels-Recorded-By"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var by) ? by : null);

    static async IAsyncEnumerable<TrainingSetRow> ReadRowsAsync(HttpResponseMessage response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream);
        while (await ReadLineAsync(reader, cancellationToken) is { } line)
        {
            if (line.Length > 0)
            {
                yield return JsonSerializer.Deserialize<TrainingSetRow>(line, Json)
                    ?? throw new JsonException("A training-set line was JSON null.");
            }
        }
    }

    static async Task<string?> ReadLineAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadLineAsync(cancellationToken);
        }
        catch (IOException e)
        {
            // A stream cut short (the features service or ingestion behind it restarted) is an incomplete set, never
            // a smaller one: reported as the service not answering, so the step reads the whole set again.
            throw new HttpRequestException($"the training-set stream ended prematurely: {e.Message}", e);
        }
    }

    static async Task<string> ProblemTextAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var problem = JsonDocument.Parse(text);
            var title = problem.RootElement.TryGetProperty("title", out var t) ? t.GetString() : null;
            var detail = problem.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
            var errors = problem.RootElement.TryGetProperty("errors", out var e) ? e.GetRawText() : null;
            return string.Join(": ", new[] { title, detail, errors }.Where(s => !string.IsNullOrEmpty(s)));
        }
        catch (JsonException)
        {
            return $"{(int)response.StatusCode} {text}";
        }
    }
}
