using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Mlops.Gateway.Experiments;

/// <summary>
/// Reads an experiment's cumulative outcomes per arm from monitoring's side-by-side view
/// (<c>GET /api/monitoring/models/{model}/variants?from=&amp;threshold=</c>): an arm's units are the labelled predictions
/// of the variant (or version) it names since the experiment started.
/// </summary>
public sealed class MonitoringOutcomeClient(HttpClient http, IOptions<ExperimentOutcomeOptions> options)
{
    public async Task<IReadOnlyDictionary<string, (long Trials, long Successes)>> TotalsAsync(Experiment experiment, CancellationToken cancellationToken)
    {
        var outcome = experiment.Outcome ?? throw new InvalidOperationException($"Experiment {experiment.Id} takes posted counts, not monitoring's.");
        var monitoring = options.Value.MonitoringAddress ?? throw new InvalidOperationException("Gateway:Experiments:MonitoringAddress is not configured.");
        // Counts only: the arms' trials and successes are all an experiment needs, and monitoring sums them in the database.
        var query = "metrics=counts&from=" + Uri.EscapeDataString(experiment.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        if (outcome.Threshold is { } threshold)
        {
            query += "&threshold=" + threshold.ToString("R", CultureInfo.InvariantCulture);
        }

        var uri = new Uri(new Uri(monitoring.TrimEnd('/') + "/"), $"api/monitoring/models/{Uri.EscapeDataString(experiment.ModelName)}/variants?{query}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Timeout);
        var variants = await http.GetFromJsonAsync<JsonElement>(uri, timeout.Token);
        return experiment.Arms.ToDictionary(a => a.Name, a => Count(variants, a.Variant, outcome), StringComparer.Ordinal);
    }

    static (long Trials, long Successes) Count(JsonElement variants, string armVariant, ExperimentOutcome outcome)
    {
        long trials = 0, successes = 0;
        foreach (var v in variants.EnumerateArray())
        {
            // An arm names an alias (every version that served it since the start) or one version.
            if (v.GetProperty("variant").GetString() != armVariant && v.GetProperty("modelVersion").GetString() != armVariant)
            {
                continue;
            }

            var labelled = v.GetProperty("labeled").GetInt64();
            var positives = v.GetProperty("positives").GetInt64();
            trials += labelled;
            successes += outcome.Success switch
            {
                ExperimentSuccess.NegativeLabel => labelled - positives,
                ExperimentSuccess.PositiveLabel => positives,
                _ => v.TryGetProperty("correct", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt64() : 0,
            };
        }

        return (trials, successes);
    }
}
