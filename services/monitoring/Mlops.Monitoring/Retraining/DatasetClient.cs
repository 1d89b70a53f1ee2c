using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Mlops.Monitoring.Retraining;

/// <summary>
/// Ingestion's dataset versions. A retraining takes a new snapshot in the champion's dataset's scope — the same codes,
/// source systems and start of its event-time range, but no end — so the candidate learns from the same kind of data,
/// now including what arrived since; the recent data is the newest part of it, and training's split by time holds out
/// the newest rows.
/// </summary>
public sealed class DatasetClient(HttpClient http)
{
    public async Task<string> SnapshotAsync(Guid retrainingId, string model, string championDataset, CancellationToken ct)
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

        JsonObject champion;
        using (var described = await http.GetAsync($"api/ingestion/datasets/{Uri.EscapeDataString(championDataset)}", ct))
        {
            await ServiceResponses.EnsureAsync(described, $"ingestion: the champion's dataset version {championDataset}", ct);
            champion = await described.Content.ReadFromJsonAsync<JsonObject>(ct) ?? [];
        }

        using var response = await http.PostAsJsonAsync("api/ingestion/datasets", new JsonObject
        {
            ["codes"] = champion["codes"]?.DeepClone(),
            ["sources"] = champion["sources"]?.DeepClone(),
            ["since"] = champion["since"]?.DeepClone(),
            ["createdBy"] = RetrainingStateMachine.Actor,
            ["description"] = description,
        }, ct);
        await ServiceResponses.EnsureAsync(response, "ingestion: dataset snapshot", ct);
        var version = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
        return version?["version"]?.GetValue<string>() ?? throw new RetrainingStepException("ingestion: the dataset answer has no version");
    }
}
