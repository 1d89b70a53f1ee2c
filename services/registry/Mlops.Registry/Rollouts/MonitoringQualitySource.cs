using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Mlops.Registry.Rollouts;

/// <summary>
/// Reads monitoring's side-by-side view of a model's versions and variants since the rollout started
/// (<c>GET /api/monitoring/models/{model}/variants?from=</c>): labelled quality from the delayed-label join and the
/// newest judged drift window of each. Scoped: one analysis reads the view once, and the AUROC and drift gates judge the
/// same answer.
/// </summary>
public sealed class MonitoringQualitySource(HttpClient http, IOptions<RolloutOptions> options)
{
    readonly ConcurrentDictionary<(string Model, DateTimeOffset? Since), Task<(IReadOnlyList<VariantQuality>? Variants, string Source)>> readings = new();

    /// <summary>One version and variant as monitoring reports it.</summary>
    public sealed record VariantQuality(string ModelVersion, string Variant, int Labeled, int Positives, double? Auroc, DriftShare? Drift)
    {
        /// <summary>Predictions of the version and variant in the period.</summary>
        public int Predictions { get; init; }

        /// <summary>The model's drift window settings in monitoring (null from a monitoring that does not report them).</summary>
        public DriftWindows? Windows { get; init; }
    }

    /// <summary>How many predictions (0: count windows off) or how long (zero: time windows off) a drift window of the model takes.</summary>
    public sealed record DriftWindows(int WindowSize, TimeSpan WindowDuration);

    /// <summary>The newest drift window's verdict.</summary>
    public sealed record DriftShare(long WindowId, DateTimeOffset WindowEnd, int EvaluatedFeatures, int DriftedFeatures, double Share);

    /// <summary>The variants, or the reason they could not be read (never an exception).</summary>
    public Task<(IReadOnlyList<VariantQuality>? Variants, string Source)> ReadAsync(string model, DateTimeOffset? since, CancellationToken cancellationToken) =>
        readings.GetOrAdd((model, since), key => FetchAsync(key.Model, key.Since, cancellationToken));

    async Task<(IReadOnlyList<VariantQuality>? Variants, string Source)> FetchAsync(string model, DateTimeOffset? since, CancellationToken cancellationToken)
    {
        if (options.Value.MonitoringAddress is not { } monitoring)
        {
            return (null, "no monitoring address is configured (Registry:Rollouts:MonitoringAddress)");
        }

        if (since is null)
        {
            return (null, "the analysis does not carry the rollout's start");
        }

        var from = Uri.EscapeDataString(since.Value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        var uri = new Uri(new Uri(monitoring.TrimEnd('/') + "/"), $"api/monitoring/models/{Uri.EscapeDataString(model)}/variants?from={from}");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.MeasurementTimeout);
            using var response = await http.GetAsync(uri, timeout.Token);
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token);
            return (body.ValueKind == JsonValueKind.Array ? body.EnumerateArray().Select(Parse).ToList() : [], uri.ToString());
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, $"{uri} could not be read: {e.Message}");
        }
    }

    static VariantQuality Parse(JsonElement v)
    {
        DriftShare? drift = null;
        if (v.TryGetProperty("drift", out var d) && d.ValueKind == JsonValueKind.Object)
        {
            drift = new DriftShare(d.GetProperty("windowId").GetInt64(), d.GetProperty("windowEnd").GetDateTimeOffset(),
                d.GetProperty("evaluatedFeatures").GetInt32(), d.GetProperty("driftedFeatures").GetInt32(), d.GetProperty("driftedShare").GetDouble());
        }

        DriftWindows? windows = null;
        if (v.TryGetProperty("driftWindows", out var w) && w.ValueKind == JsonValueKind.Object
            && TimeSpan.TryParse(w.GetProperty("windowDuration").GetString(), CultureInfo.InvariantCulture, out var duration))
        {
            windows = new DriftWindows(w.GetProperty("windowSize").GetInt32(), duration);
        }

        return new VariantQuality(v.GetProperty("modelVersion").GetString() ?? "", v.GetProperty("variant").GetString() ?? "",
            v.GetProperty("labeled").GetInt32(), v.GetProperty("positives").GetInt32(), Number(v, "auroc"), drift)
        {
            Predictions = (int)(Number(v, "predictions") ?? 0),
            Windows = windows,
        };
    }

    static double? Number(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
