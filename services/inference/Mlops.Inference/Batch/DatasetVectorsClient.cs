using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Mlops.Inference.Batch;

/// <summary>A row of features the features service computed from a dataset version, point in time.</summary>
public sealed record DatasetVector(string EntityId, DateTimeOffset Time, string? LabelId, string FeatureSetVersion, Dictionary<string, double?> Features);

/// <summary>The features service refused a request for a reason asking again cannot clear (4xx), with its answer.</summary>
public sealed class DatasetVectorsRefusedException(HttpStatusCode status, string detail)
    : Exception($"the features service answered {(int)status}: {detail}")
{
    public HttpStatusCode Status { get; } = status;
}

/// <summary>
/// Reads a dataset version's entities and their point-in-time vectors from the features service
/// (<c>GET /api/features/datasets/{version}/entities</c>, <c>POST /api/features/datasets/{version}/vectors</c>): the
/// calculator is the features service's, so batch rows are exactly what a training run over the version sees.
/// A 4xx is <see cref="DatasetVectorsRefusedException"/>; no answer or a 5xx throws <see cref="HttpRequestException"/> (transient).
/// </summary>
public sealed class DatasetVectorsClient(HttpClient http)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The version's distinct entity ids in byte order.</summary>
    public async IAsyncEnumerable<string> EntitiesAsync(string datasetVersion, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(
            new Uri($"api/features/datasets/{Uri.EscapeDataString(datasetVersion)}/entities", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await ThrowIfRefusedAsync(response, cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0)
            {
                yield return JsonSerializer.Deserialize<string>(line, Json)!;
            }
        }
    }

    /// <summary>
    /// The vectors of <paramref name="entityIds"/> at <paramref name="times"/>, or at the times of labels named
    /// <paramref name="labelName"/>, holding only <paramref name="featureNames"/> (the model's inputs).
    /// </summary>
    public async IAsyncEnumerable<DatasetVector> VectorsAsync(
        string datasetVersion, string? featureSetVersion, IReadOnlyList<string> entityIds, IReadOnlyList<DateTimeOffset>? times, string? labelName,
        IReadOnlyList<string> featureNames, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"api/features/datasets/{Uri.EscapeDataString(datasetVersion)}/vectors", UriKind.Relative))
        {
            Content = JsonContent.Create(new { entityIds, times, labelName, featureSetVersion, featureNames }, options: Json),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await ThrowIfRefusedAsync(response, cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0)
            {
                yield return JsonSerializer.Deserialize<DatasetVector>(line, Json)!;
            }
        }
    }

    static async Task ThrowIfRefusedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.StatusCode is >= HttpStatusCode.BadRequest and < HttpStatusCode.InternalServerError
            and not HttpStatusCode.RequestTimeout and not HttpStatusCode.TooManyRequests)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new DatasetVectorsRefusedException(response.StatusCode, body.Length > 500 ? body[..500] : body);
        }

        response.EnsureSuccessStatusCode();
    }
}
