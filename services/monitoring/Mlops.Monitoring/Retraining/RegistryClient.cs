using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Mlops.Contracts.Registry;

namespace Mlops.Monitoring.Retraining;

/// <summary>The registry's HTTP API as the retraining uses it: a model's champion and its lineage, and starting a rollout.</summary>
public sealed class RegistryClient(HttpClient http)
{
    /// <summary>The champion's version and what it was trained from; null when the model is not registered.</summary>
    public async Task<ChampionLineage?> ChampionAsync(string model, CancellationToken ct)
    {
        using var response = await http.GetAsync($"api/registry/models/{Uri.EscapeDataString(model)}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await ServiceResponses.EnsureAsync(response, $"registry: model {model}", ct);
        var state = await response.Content.ReadFromJsonAsync<JsonObject>(ct) ?? throw new RetrainingStepException($"registry: model {model} came back empty");
        var champion = state["aliases"]?[ModelAliases.Champion]?.GetValue<string>()
            ?? throw new RetrainingStepException($"{model} has no champion to retrain from");
        var registration = state["versions"]?[champion]?["registration"]
            ?? throw new RetrainingStepException($"registry: the champion {champion} of {model} has no registration");
        return new ChampionLineage(champion, Text(registration, "trainingRunId"), Text(registration, "datasetVersion"), Text(registration, "featureSetVersion"));
    }

    /// <summary>Whether the registry knows the model (the API's 404 for unknown models).</summary>
    public async Task<bool> ExistsAsync(string model, CancellationToken ct)
    {
        using var response = await http.GetAsync($"api/registry/models/{Uri.EscapeDataString(model)}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await ServiceResponses.EnsureAsync(response, $"registry: model {model}", ct);
        return true;
    }

    /// <summary>
    /// <c>POST /api/registry/rollouts</c>: the registry makes the candidate challenger (by its promotion policy) and starts
    /// the canary rollout; the command alone would skip both checks, so the HTTP path is the one used.
    /// </summary>
    public async Task<Guid> StartRolloutAsync(string model, string candidate, RetrainingRolloutOptions plan, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("api/registry/rollouts", new
        {
            modelName = model, candidateVersion = candidate, steps = plan.Steps, analysisInterval = plan.AnalysisInterval, thresholds = plan.Thresholds(),
            failureLimit = plan.FailureLimit, consecutiveSuccesses = plan.ConsecutiveSuccesses, requestedBy = RetrainingStateMachine.Actor,
        }, ct);
        if (response.StatusCode == HttpStatusCode.Conflict && await ActiveRolloutOfAsync(model, candidate, ct) is { } adopted)
        {
            // A retry after the registry accepted the rollout but its answer was lost: the rollout under way is ours.
            return adopted;
        }

        await ServiceResponses.EnsureAsync(response, $"registry: rollout of {model} {candidate}", ct);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
        return body?["rolloutId"]?.GetValue<Guid>() ?? throw new RetrainingStepException("registry: the rollout answer has no rolloutId");
    }

    /// <summary>The id of a rollout of <paramref name="candidate"/> under way that the retraining requested, if any.</summary>
    async Task<Guid?> ActiveRolloutOfAsync(string model, string candidate, CancellationToken ct)
    {
        using var response = await http.GetAsync($"api/registry/rollouts?model={Uri.EscapeDataString(model)}", ct);
        await ServiceResponses.EnsureAsync(response, $"registry: rollouts of {model}", ct);
        var rollouts = await response.Content.ReadFromJsonAsync<JsonArray>(ct) ?? [];
        return rollouts.OfType<JsonObject>()
            .Where(r => r["candidateVersion"]?.GetValue<string>() == candidate && r["requestedBy"]?.GetValue<string>() == RetrainingStateMachine.Actor
                && r["state"]?.GetValue<string>() is "Progressing" or "Analysing" or "Paused" or "Promoting")
            .Select(r => (Guid?)r["rolloutId"]!.GetValue<Guid>())
            .FirstOrDefault();
    }

    static string Text(JsonNode node, string name) =>
        node[name]?.GetValue<string>() ?? throw new RetrainingStepException($"registry: the champion's registration has no {name}");
}

/// <summary>The champion and what it was trained from.</summary>
public sealed record ChampionLineage(string Version, string TrainingRunId, string DatasetVersion, string FeatureSetVersion);
