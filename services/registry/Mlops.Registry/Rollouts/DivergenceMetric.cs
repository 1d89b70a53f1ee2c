using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Gateway;
using Mlops.Contracts.Registry;

namespace Mlops.Registry.Rollouts;

/// <summary>
/// Mean absolute probability difference between the candidate and the champion on the same requests, from the
/// gateway's shadow comparison (<c>GET /api/gateway/shadow/{model}</c>: pairs of serving and shadow version). The
/// comparison needs the candidate mirrored as the shadow; without a pair for it the measurement is inconclusive.
/// </summary>
public sealed class DivergenceMetric(HttpClient http, IOptions<RolloutOptions> options) : IRolloutMetric
{
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

        if (predictions < context.MinRequests)
        {
            return MetricReading.Missing($"{uri}: {predictions.ToString(CultureInfo.InvariantCulture)} compared predictions of {context.CandidateVersion} against the champion, fewer than {context.MinRequests}");
        }

        return new MetricReading(weighted / predictions,
            $"mean |p(candidate) − p(champion)| over {predictions.ToString(CultureInfo.InvariantCulture)} mirrored predictions since the gateway started ({uri})", new Dictionary<string, double>());
    }

    static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
