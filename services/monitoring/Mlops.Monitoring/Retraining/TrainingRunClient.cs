using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Mlops.Monitoring.Retraining;

/// <summary>The training service's run records (<c>GET /api/training/runs/{id}</c>): a run's request and its metrics.</summary>
public sealed class TrainingRunClient(HttpClient http)
{
    public async Task<TrainingRunRecord> GetAsync(string runId, CancellationToken ct)
    {
        if (!Guid.TryParse(runId, out var id))
        {
            throw new RetrainingStepException($"training run id '{runId}' is not a run id");
        }

        using var response = await http.GetAsync($"api/training/runs/{id}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new RetrainingStepException($"training has no run {id}");
        }

        await ServiceResponses.EnsureAsync(response, $"training: run {id}", ct);
        var view = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
        var run = view?["run"] ?? throw new RetrainingStepException($"training: run {id} came back empty");
        var metrics = run["metrics"]?.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<double>()) ?? [];
        return new TrainingRunRecord(id, run["parameters"]?.AsObject() ?? [], metrics);
    }
}

/// <summary>A run's request (as the training service recorded it) and its metrics.</summary>
public sealed record TrainingRunRecord(Guid RunId, JsonObject Parameters, IReadOnlyDictionary<string, double> Metrics);
