using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Gateway;
using Mlops.Contracts.Registry;

namespace Mlops.Registry.Rollouts;

/// <summary>
/// Mean absolute probability difference between the candidate and the champion on the same requests since the last
/// analysis, from the gateway's shadow comparison (<c>GET /api/gateway/shadow/{model}</c>: pairs of serving and shadow
/// version, counted since the gateway started). The comparison needs the candidate mirrored as the shadow; without a
/// pair for it the measurement is inconclusive.
/// </summary>
/// <remarks>
/// The gateway's counts are cumulative, so each reading keeps the summed difference and the count in its snapshot and
/// the next one judges only what was compared in between: a candidate that starts to diverge late is not averaged away
/// by the quiet minutes before. When fewer pairs than the rollout's minimum were compared in between (a step at 100 %
/// leaves the champion nothing to mirror), the reading falls back to every pair compared so far, and says so. Counts
/// below the last snapshot mean the gateway restarted; the interval is then what it compared since.
/// </remarks>
public sealed class DivergenceMetric(HttpClient http, IOptions<RolloutOptions> options) : IRolloutMetric
{
    public const string SumKey = "divergence.absoluteDifferenceSum";
    public const string CountKey = "divergence.predictions";

    public string Name => "divergence";

    public double? ThresholdOf(RolloutThresholds thresholds) => thresholds.MaxDivergence;

    public async Task<MetricReading> MeasureAsync(RolloutMetricContext context, CancellationToken cancellationToken)
    {
        if (options.Value.GatewayAddress is not { } gateway)
        {
            return MetricReading.Missing("no gateway address is configured (Registry:Rollouts:GatewayAddress)");
        }

        var uri = new Uri(new Uri(gateway.TrimEnd('/') + "/"), $"api/gateway/shadow/{Uri.EscapeDataString(context.ModelName)}");
        JsonElement report;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.MeasurementTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (options.Value.GatewayApiKey is { Length: > 0 } key)
            {
                request.Headers.Add(ApiKeys.Header, key);
            }

            using var response = await http.SendAsync(request, timeout.Token);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return MetricReading.Missing($"{uri}: the gateway has no shadow comparison for {context.ModelName}");
            }

            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                return MetricReading.Missing($"{uri}: the gateway refused the registry's key ({(int)response.StatusCode}); set Registry:Rollouts:GatewayApiKey");
            }

            response.EnsureSuccessStatusCode();
            report = await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return MetricReading.Missing($"{uri} could not be read: {e.Message}");
        }

        // Predictions-weighted over the candidate's pairs with the champion.
        double weighted = 0, predictions = 0;
        if (report.TryGetProperty("pairs", out var pairs) && pairs.ValueKind == JsonValueKind.Array)
        {
            foreach (var pair in pairs.EnumerateArray())
            {
                if (Text(pair, "shadowVersion") == context.CandidateVersion && Text(pair, "primaryVariant") == ModelAliases.Champion
                    && pair.TryGetProperty("meanAbsoluteDifference", out var mad) && mad.ValueKind == JsonValueKind.Number
                    && pair.TryGetProperty("predictions", out var n) && n.ValueKind == JsonValueKind.Number && n.GetDouble() > 0)
                {
                    weighted += mad.GetDouble() * n.GetDouble();
                    predictions += n.GetDouble();
                }
            }
        }

        var snapshot = new Dictionary<string, double> { [SumKey] = weighted, [CountKey] = predictions };
        var (sum, count, period) = (weighted, predictions, "since the gateway started");
        // Null on the first analysis and after a gateway restart (its counts fell below the last snapshot).
        double? compared = context.Baseline.TryGetValue(CountKey, out var earlierCount) && earlierCount <= predictions ? predictions - earlierCount : null;
        if (compared >= Math.Max(1, context.MinRequests) && context.Baseline.TryGetValue(SumKey, out var earlierSum))
        {
            (sum, count, period) = (weighted - earlierSum, compared.Value, "since the last analysis");
        }
        else if (compared is { } few)
        {
            // Too few pairs since the last analysis, e.g. at a step that gives the candidate all traffic: the champion then
            // serves nothing to mirror. Everything compared so far is still evidence; the reading says which it used.
            period = $"since the gateway started (only {few.ToString(CultureInfo.InvariantCulture)} since the last analysis)";
        }

        var counted = count.ToString(CultureInfo.InvariantCulture);
        if (count < context.MinRequests || count <= 0)
        {
            return new MetricReading(null,
                $"{uri}: {counted} compared predictions of {context.CandidateVersion} against the champion {period}, fewer than {context.MinRequests}", snapshot);
        }

        return new MetricReading(Math.Max(0, sum / count), $"mean |p(candidate) − p(champion)| over {counted} mirrored predictions {period} ({uri})", snapshot);
    }

    static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
