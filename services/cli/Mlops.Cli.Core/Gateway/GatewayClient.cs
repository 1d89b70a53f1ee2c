using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mlops.Contracts.Gateway;

namespace Mlops.Cli.Core.Gateway;

/// <summary>
/// The platform's HTTP API as a user reaches it: every call goes through the gateway (<c>/api/&lt;service&gt;/…</c>).
/// Answers are JSON trees rather than typed records, so the client keeps working when a service adds members.
/// Errors become <see cref="ApiProblem"/> with the ProblemDetails made readable.
/// </summary>
public sealed class GatewayClient : IDisposable
{
    /// <summary>Default gateway address (the platform's shipped port).</summary>
    public const string DefaultAddress = "http://127.0.0.1:58080";

    /// <summary>Header carrying the API key (sent when one is configured).</summary>
    public const string ApiKeyHeader = ApiKeys.Header;

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    readonly HttpClient _http;

    /// <summary>A client for the gateway at <paramref name="gateway"/>.</summary>
    public GatewayClient(Uri gateway, string? apiKey = null, TimeSpan? timeout = null)
    {
        _http = new HttpClient { BaseAddress = gateway, Timeout = timeout ?? TimeSpan.FromSeconds(100) };
        if (!string.IsNullOrWhiteSpace(apiKey))
        {
            _http.DefaultRequestHeaders.Add(ApiKeyHeader, apiKey);
        }
    }

    /// <summary>The gateway's address.</summary>
    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>Whether the gateway answers its readiness probe.</summary>
    public async Task<bool> IsReadyAsync(CancellationToken ct)
    {
        try
        {
            using var response = await _http.GetAsync("health/ready", ct);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>Sends observations as one batch (at most the service's batch size).</summary>
    public async Task<BatchOutcome> IngestBatchAsync(IReadOnlyList<(string Where, JsonObject Body)> items, CancellationToken ct)
    {
        var array = new JsonArray(items.Select(i => (JsonNode)i.Body.DeepClone()).ToArray());
        var answer = await SendAsync(HttpMethod.Post, "api/ingestion/observations/batch", array, null, ct);
        var outcome = new BatchOutcome
        {
            Accepted = answer?["accepted"]?.GetValue<int>() ?? 0,
            Duplicates = answer?["duplicates"]?.GetValue<int>() ?? 0,
        };
        foreach (var result in answer?["results"]?.AsArray() ?? [])
        {
            if (result?["status"]?.GetValue<string>() is "rejected" or "refused")
            {
                var index = result["index"]?.GetValue<int>() ?? -1;
                var where = index >= 0 && index < items.Count ? items[index].Where : $"item {index}";
                var reasons = result["errors"]?.AsArray().Select(e => e?["message"]?.GetValue<string>() ?? e?.ToJsonString()).ToArray() ?? ["rejected"];
                outcome.Refused.Add(new Refusal(where, result["observationId"]?.GetValue<string>(), string.Join("; ", reasons)));
            }
        }

        return outcome;
    }

    /// <summary>Sends one observation, optionally inside the caller's trace (a W3C <c>traceparent</c>).</summary>
    public async Task<JsonNode?> IngestAsync(JsonObject observation, string? traceparent, CancellationToken ct) =>
        await SendAsync(HttpMethod.Post, "api/ingestion/observations", observation, traceparent, ct);

    /// <summary>Records one outcome; true when new, false when the label id was already known.</summary>
    public async Task<bool> PostLabelAsync(JsonObject label, CancellationToken ct)
    {
        using var response = await _http.PostAsJsonAsync("api/features/labels", label, Json, ct);
        await ThrowIfFailedAsync("POST /api/features/labels", response, ct);
        return response.StatusCode == HttpStatusCode.Accepted;
    }

    /// <summary>The feature service's definitions (<c>version</c>, <c>featureNames</c>, …).</summary>
    public Task<JsonNode?> GetFeatureDefinitionsAsync(CancellationToken ct) => SendAsync(HttpMethod.Get, "api/features/definitions", null, null, ct);

    /// <summary>Snapshots ingestion's raw store as a new dataset version.</summary>
    public Task<JsonNode?> CreateDatasetVersionAsync(string createdBy, string description, CancellationToken ct) =>
        CreateDatasetVersionAsync(createdBy, description, DatasetScope.All, ct);

    /// <summary>Snapshots the part of ingestion's raw store in <paramref name="scope"/> as a new dataset version.</summary>
    public Task<JsonNode?> CreateDatasetVersionAsync(string createdBy, string description, DatasetScope scope, CancellationToken ct)
    {
        var body = new JsonObject { ["createdBy"] = createdBy, ["description"] = description };
        if (scope.Sources is { Count: > 0 } sources)
        {
            body["sources"] = new JsonArray(sources.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
        }

        if (scope.Codes is { Count: > 0 } codes)
        {
            body["codes"] = new JsonArray(codes.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray());
        }

        if (scope.Since is { } since)
        {
            body["since"] = since.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
        }

        if (scope.Until is { } until)
        {
            body["until"] = until.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
        }

        return SendAsync(HttpMethod.Post, "api/ingestion/datasets/", body, null, ct);
    }

    /// <summary>Every dataset version, as ingestion lists them.</summary>
    public Task<JsonNode?> ListDatasetVersionsAsync(CancellationToken ct) => SendAsync(HttpMethod.Get, "api/ingestion/datasets/", null, null, ct);

    /// <summary>One dataset version's description (its scope, row count, who made it).</summary>
    public Task<JsonNode?> GetDatasetVersionAsync(string version, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"api/ingestion/datasets/{Uri.EscapeDataString(version)}", null, null, ct);

    /// <summary>Every model version the registry records as trained from a dataset version.</summary>
    public Task<JsonNode?> ListModelsTrainedFromAsync(string version, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"api/registry/datasets/{Uri.EscapeDataString(version)}/models", null, null, ct);

    /// <summary>Starts a training run; returns its id.</summary>
    public async Task<Guid> StartRunAsync(JsonObject request, CancellationToken ct)
    {
        var answer = await SendAsync(HttpMethod.Post, "api/training/runs", request, null, ct);
        return Guid.Parse(answer?["runId"]?.GetValue<string>() ?? throw new InvalidOperationException("the training service answered without a runId"));
    }

    /// <summary>A run with its pipeline state (<c>run</c>, <c>pipelineState</c>, <c>currentStep</c>).</summary>
    public Task<JsonNode?> GetRunAsync(Guid id, CancellationToken ct) => SendAsync(HttpMethod.Get, $"api/training/runs/{id}", null, null, ct);

    /// <summary>Recent runs, optionally of one model.</summary>
    public Task<JsonNode?> ListRunsAsync(string? model, int limit, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"api/training/runs?limit={limit}" + (model is null ? "" : "&model=" + Uri.EscapeDataString(model)), null, null, ct);

    /// <summary>Two runs side by side.</summary>
    public Task<JsonNode?> CompareRunsAsync(Guid a, Guid b, CancellationToken ct) => SendAsync(HttpMethod.Get, $"api/training/runs/compare?a={a}&b={b}", null, null, ct);

    /// <summary>Every registered model (name, revision, champion, updatedAt).</summary>
    public Task<JsonNode?> ListModelsAsync(CancellationToken ct) => SendAsync(HttpMethod.Get, "api/registry/models", null, null, ct);

    /// <summary>A model's state: versions, aliases, policy, pending promotions.</summary>
    public Task<JsonNode?> GetModelAsync(string name, CancellationToken ct) => SendAsync(HttpMethod.Get, $"api/registry/models/{Uri.EscapeDataString(name)}", null, null, ct);

    /// <summary>Asks for a promotion; the answer's <c>status</c> is Promoted or PendingApproval (a refusal throws).</summary>
    public Task<JsonNode?> RequestPromotionAsync(string model, string version, string alias, string by, string reason, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"api/registry/models/{Uri.EscapeDataString(model)}/promotions",
            new JsonObject { ["version"] = version, ["alias"] = alias, ["requestedBy"] = by, ["reason"] = reason }, null, ct);

    /// <summary>Approves a pending promotion.</summary>
    public Task<JsonNode?> ApprovePromotionAsync(string model, Guid promotionId, string by, string reason, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"api/registry/models/{Uri.EscapeDataString(model)}/promotions/{promotionId}/approve",
            new JsonObject { ["by"] = by, ["reason"] = reason }, null, ct);

    /// <summary>Scores an entity from its online features with the model served under <paramref name="model"/>.</summary>
    public Task<JsonNode?> PredictAsync(string model, string entityId, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"api/inference/models/{Uri.EscapeDataString(model)}/entities/{Uri.EscapeDataString(entityId)}/predict", new JsonObject(), null, ct);

    /// <summary>A prediction replayed from its raw observations and model version (<c>GET /api/lineage/predictions/{id}</c>).</summary>
    public Task<JsonNode?> ExplainAsync(string predictionId, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"api/lineage/predictions/{Uri.EscapeDataString(predictionId)}", null, null, ct);

    /// <summary>Starts a batch-inference job over a dataset version (<c>POST /api/inference/batch-jobs</c>); the job as accepted.</summary>
    public Task<JsonNode?> StartBatchJobAsync(JsonObject request, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "api/inference/batch-jobs", request, null, ct);

    /// <summary>A batch job's progress (<c>GET /api/inference/batch-jobs/{id}</c>).</summary>
    public Task<JsonNode?> GetBatchJobAsync(string id, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"api/inference/batch-jobs/{Uri.EscapeDataString(id)}", null, null, ct);

    /// <summary>Cancels a planning or running batch job (<c>POST /api/inference/batch-jobs/{id}/cancel</c>); a finished one is a 409.</summary>
    public Task<JsonNode?> CancelBatchJobAsync(string id, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"api/inference/batch-jobs/{Uri.EscapeDataString(id)}/cancel", null, null, ct);

    /// <summary>Streams a batch job's results (<c>ndjson</c> or <c>parquet</c>) into <paramref name="destination"/>; returns the bytes written.</summary>
    public async Task<long> DownloadBatchResultsAsync(string id, string format, Stream destination, CancellationToken ct)
    {
        var path = $"api/inference/batch-jobs/{Uri.EscapeDataString(id)}/results?format={Uri.EscapeDataString(format)}";
        using var response = await _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, ct);
        await ThrowIfFailedAsync($"GET /{path}", response, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var start = destination.CanSeek ? destination.Position : 0;
        await body.CopyToAsync(destination, ct);
        return destination.CanSeek ? destination.Position - start : -1;
    }

    /// <summary>Any call; the answer as JSON (null when empty).</summary>
    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, string? traceparent, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        if (traceparent is not null)
        {
            request.Headers.TryAddWithoutValidation("traceparent", traceparent);
        }

        using var response = await _http.SendAsync(request, ct);
        await ThrowIfFailedAsync($"{method} /{path}", response, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    /// <summary>Any call where the success status matters (e.g. 201 created vs 200 unchanged); errors throw as usual.</summary>
    public async Task<(HttpStatusCode Status, JsonNode? Answer)> SendWithStatusAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        using var response = await _http.SendAsync(request, ct);
        await ThrowIfFailedAsync($"{method} /{path}", response, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    static async Task ThrowIfFailedAsync(string what, HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var raw = await response.Content.ReadAsStringAsync(ct);
        JsonNode? problem = null;
        try
        {
            problem = raw.Length > 0 ? JsonNode.Parse(raw) : null;
        }
        catch (JsonException)
        {
            // Not JSON: the raw text is shown instead.
        }

        throw new ApiProblem(what, response.StatusCode, problem, raw);
    }

    /// <summary>Formats a probability-like number for display.</summary>
    public static string Format(double value, string format = "0.000") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
