using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Mlops.Features.Computation;
using Mlops.Features.Storage;

namespace Mlops.Features.TrainingSets;

/// <summary>One observation of an ingestion dataset version.</summary>
public sealed record DatasetObservation(
    string ObservationId, string EntityId, string Code, double Value, DateTimeOffset EventTime, DateTimeOffset RecordedAt, DateTimeOffset? AvailableTime = null)
{
    /// <summary>As the calculator needs it: known from the source's available time when given, else when ingestion recorded it.</summary>
    public ObservationPoint ToPoint() => new(ObservationId, Code, Value, EventTime, AvailableTime ?? RecordedAt);
}

/// <summary>
/// A dataset version as ingestion describes it: <paramref name="CreatedAt"/> is when its snapshot was taken, which also
/// bounds the labels a training set over it may use (those the feature service had recorded by then). A version scoped to
/// source systems or an event-time range [<paramref name="Since"/>, <paramref name="Until"/>) holds only those
/// observations.
/// </summary>
public sealed record DatasetVersionInfo(
    string Version, long RowCount, DateTimeOffset CreatedAt, IReadOnlyList<string>? Sources = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null)
{
    /// <summary>
    /// Whether the version holds only part of the raw store's observations (beyond codes): then a labelled entity it
    /// holds nothing of is outside it, rather than an entity with no history.
    /// </summary>
    public bool IsScoped => Sources is { Count: > 0 } || Since is not null || Until is not null;

    /// <summary>
    /// The earliest label time a set over this version takes: its range's start, or a later one asked for. A label
    /// before the range would see none of the observations the version left out.
    /// </summary>
    public DateTimeOffset? LabelsFrom(DateTimeOffset? asked) => (asked, Since) switch
    {
        ({ } a, { } s) => a > s ? a : s,
        _ => asked ?? Since,
    };
}

/// <summary>The dataset version does not exist in ingestion.</summary>
public sealed class DatasetVersionNotFoundException(string version) : Exception($"no dataset version '{version}' in ingestion")
{
    /// <summary>The version asked for.</summary>
    public string Version { get; } = version;
}

/// <summary>
/// Reads an immutable dataset version from ingestion's raw store over HTTP, grouped by entity, as a stream: the
/// feature service never reads ingestion's tables, and never holds a whole dataset in memory.
/// </summary>
public sealed class IngestionDatasetClient(HttpClient http)
{
    /// <summary>The version's description; <see cref="DatasetVersionNotFoundException"/> when ingestion has none by that name.</summary>
    public async Task<DatasetVersionInfo> GetAsync(string version, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri($"api/ingestion/datasets/{Uri.EscapeDataString(version)}", UriKind.Relative), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new DatasetVersionNotFoundException(version);
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<DatasetVersionInfo>(FeatureStore.Json, cancellationToken)
            ?? throw new JsonException($"ingestion described dataset version '{version}' as JSON null");
    }

    /// <summary>The version's distinct entity ids in byte order, streamed.</summary>
    public IAsyncEnumerable<string> ReadEntityIdsAsync(string version, CancellationToken cancellationToken) =>
        ReadLinesAsync<string>(version, "entities", cancellationToken);

    /// <summary>Rows ordered by entity id (ordinal) and event time.</summary>
    public IAsyncEnumerable<DatasetObservation> ReadByEntityAsync(string version, CancellationToken cancellationToken) =>
        ReadLinesAsync<DatasetObservation>(version, "observations?order=entity", cancellationToken);

    /// <summary>One JSON value per line of a dataset version's resource, streamed as it arrives.</summary>
    async IAsyncEnumerable<T> ReadLinesAsync<T>(string version, string resource, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(
            new Uri($"api/ingestion/datasets/{Uri.EscapeDataString(version)}/{resource}", UriKind.Relative),
            HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new DatasetVersionNotFoundException(version);
        }

        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0)
            {
                yield return JsonSerializer.Deserialize<T>(line, FeatureStore.Json)!;
            }
        }
    }

    /// <summary>
    /// The version's rows of <paramref name="entityIds"/> only (at most ingestion's 1000 per request), grouped into
    /// one list per entity in byte order of the id, streamed (one entity in memory at a time).
    /// </summary>
    public async IAsyncEnumerable<(string EntityId, List<ObservationPoint> Points)> ReadEntitiesAsync(
        string version, IReadOnlyList<string> entityIds, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"api/ingestion/datasets/{Uri.EscapeDataString(version)}/observations/query", UriKind.Relative))
        {
            Content = JsonContent.Create(new { entityIds }, options: FeatureStore.Json),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new DatasetVersionNotFoundException(version);
        }

        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream);
        await foreach (var group in GroupByEntityAsync(ReadLinesAsync(reader, cancellationToken), cancellationToken))
        {
            yield return group;
        }
    }

    /// <summary>
    /// For each of <paramref name="orderedEntityIds"/> (distinct, in byte order), in that order: its history in the
    /// version, or null when the version holds no row of it — a merge of the asked ids with the version's rows.
    /// </summary>
    public async IAsyncEnumerable<(string EntityId, List<ObservationPoint>? History)> HistoriesAsync(
        string version, IReadOnlyList<string> orderedEntityIds, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (orderedEntityIds.Count == 0)
        {
            yield break;
        }

        await using var observed = ReadEntitiesAsync(version, orderedEntityIds, cancellationToken).GetAsyncEnumerator(cancellationToken);
        var hasEntity = await observed.MoveNextAsync();
        foreach (var entityId in orderedEntityIds)
        {
            // Both sides are in byte order of the entity id: skip the version's entities nobody asked for.
            while (hasEntity && string.CompareOrdinal(observed.Current.EntityId, entityId) < 0)
            {
                hasEntity = await observed.MoveNextAsync();
            }

            yield return (entityId, hasEntity && observed.Current.EntityId == entityId ? observed.Current.Points : null);
        }
    }

    static async IAsyncEnumerable<DatasetObservation> ReadLinesAsync(StreamReader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0)
            {
                yield return JsonSerializer.Deserialize<DatasetObservation>(line, FeatureStore.Json)!;
            }
        }
    }

    /// <summary>The rows grouped into one list per entity (one entity in memory at a time).</summary>
    public IAsyncEnumerable<(string EntityId, List<ObservationPoint> Points)> ReadEntitiesAsync(string version, CancellationToken cancellationToken) =>
        GroupByEntityAsync(ReadByEntityAsync(version, cancellationToken), cancellationToken);

    static async IAsyncEnumerable<(string EntityId, List<ObservationPoint> Points)> GroupByEntityAsync(
        IAsyncEnumerable<DatasetObservation> rows, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? entity = null;
        var points = new List<ObservationPoint>();
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            if (entity is not null && row.EntityId != entity)
            {
                yield return (entity, points);
                points = [];
            }

            entity = row.EntityId;
            points.Add(row.ToPoint());
        }

        if (entity is not null)
        {
            yield return (entity, points);
        }
    }
}
