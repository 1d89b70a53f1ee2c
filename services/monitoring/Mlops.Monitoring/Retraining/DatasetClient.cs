using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Mlops.Monitoring.Retraining;

/// <summary>
/// Ingestion's dataset versions. A version is a snapshot of every accepted observation up to a sequence (optionally of
/// some codes); it cannot name a time window, so a retraining takes a new snapshot: the recent data is the newest part of
/// it, and training's split by time holds out the newest rows.
/// </summary>
public sealed class DatasetClient(HttpClient http)
{
    public async Task<string> SnapshotAsync(Guid retrainingId, string model, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("api/ingestion/datasets", new
        {
            createdBy = RetrainingStateMachine.Actor, description = $"retraining {retrainingId} of {model}",
        }, ct);
        await ServiceResponses.EnsureAsync(response, "ingestion: dataset snapshot", ct);
        var version = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
        return version?["version"]?.GetValue<string>() ?? throw new RetrainingStepException("ingestion: the dataset answer has no version");
    }
}
