using System.Net;
using System.Text.Json.Nodes;
using Mlops.Cli.Core.Ward;

namespace Mlops.Cli.Core.Gateway;

/// <summary>
/// The asynchronous hand-overs of the journey, waited for by polling their outcome through the gateway (never by
/// sleeping a fixed time): features computed from ingested history, a run's model registered.
/// </summary>
public static class JourneyWaits
{
    /// <summary>
    /// Waits until the online features of <paramref name="sample"/> patients reflect their last vitals (the streaming
    /// computation has consumed their history); returns how many of them caught up.
    /// </summary>
    public static async Task<int> FeaturesCaughtUpAsync(GatewayClient client, Ward.Ward ward, int sample, TimeSpan timeout, CancellationToken ct)
    {
        var last = ward.Observations.Where(o => o.AvailableTime is null)
            .GroupBy(o => o.EntityId).ToDictionary(g => g.Key, g => g.Max(o => o.EventTime));
        var step = Math.Max(1, ward.Patients.Count / Math.Max(1, sample));
        var pending = ward.Patients.Where((_, i) => i % step == 0).Select(p => p.EntityId).Where(last.ContainsKey).Take(sample).ToHashSet();
        var total = pending.Count;
        var deadline = DateTime.UtcNow + timeout;
        while (pending.Count > 0 && DateTime.UtcNow < deadline)
        {
            foreach (var entity in pending.ToList())
            {
                try
                {
                    var vector = await client.SendAsync(HttpMethod.Get, $"api/features/online/{Uri.EscapeDataString(entity)}", null, null, ct);
                    if (vector?["eventTime"]?.GetValue<DateTimeOffset>() >= last[entity])
                    {
                        pending.Remove(entity);
                    }
                }
                catch (ApiProblem problem) when (problem.Status == HttpStatusCode.NotFound)
                {
                    // Not computed yet.
                }
            }

            if (pending.Count > 0)
            {
                await Task.Delay(500, ct);
            }
        }

        return total - pending.Count;
    }

    /// <summary>Waits until the registry holds a version of <paramref name="model"/> trained by <paramref name="runId"/>; returns that version.</summary>
    public static async Task<string?> RegisteredVersionAsync(GatewayClient client, string model, Guid runId, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                var state = await client.GetModelAsync(model, ct);
                foreach (var (version, info) in state?["versions"]?.AsObject() ?? [])
                {
                    if (Guid.TryParse(info?["registration"]?["trainingRunId"]?.GetValue<string>(), out var id) && id == runId)
                    {
                        return version;
                    }
                }
            }
            catch (ApiProblem problem) when (problem.Status == HttpStatusCode.NotFound)
            {
                // The model's first version is not registered yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                return null;
            }

            await Task.Delay(500, ct);
        }
    }

    /// <summary>The entity's prediction answer through the gateway, retried while the entity is not yet in the serving cache.</summary>
    public static async Task<JsonNode?> PredictionAsync(GatewayClient client, string model, string entityId, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return await client.PredictAsync(model, entityId, ct);
            }
            catch (ApiProblem problem) when (problem.Status is HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500, ct);
            }
        }
    }
}
