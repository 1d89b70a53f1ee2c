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
        var description = $"retraining {retrainingId} of {model}";
        // A retried step reuses the snapshot it already took (named by the retraining's id) rather than taking another.
        using (var list = await http.GetAsync("api/ingestion/datasets", ct))
        {
            await ServiceResponses.EnsureAsync(list, "ingestion: dataset versions", ct);
            var existing = (await list.Content.ReadFromJsonAsync<JsonArray>(ct) ?? []).OfType<JsonObject>()
                .FirstOrDefault(v => v["description"]?.GetValue<string>() == description && v["createdBy"]?.GetValue<string>() == RetrainingStateMachine.Actor);
            if (existing?["version"]?.GetValue<string>() is { } taken)
            {
                return taken;
            }
        }

        using var response = await http.PostAsJsonAsync("api/ingestion/datasets", new
        {
            createdBy = RetrainingStateMachine.Actor, description,
        }, ct);
        await ServiceResponses.EnsureAsync(response, "ingestion: dataset snapshot", ct);
        var version = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
        return version?["version"]?.GetValue<string>() ?? throw new RetrainingStepException("ingestion: the dataset answer has no version");
    }
}
