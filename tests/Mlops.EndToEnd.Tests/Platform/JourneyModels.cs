using System.Net;
using System.Text.Json.Nodes;
using Mlops.Cli.Core.Gateway;
using Mlops.Testing;

namespace Mlops.EndToEnd.Tests.Platform;

/// <summary>What the journeys that register a model of their own share: taking it out of service at the end.</summary>
internal static class JourneyModels
{
    /// <summary>
    /// Takes the model out of service through the registry's public API: a rollout still running is aborted first and
    /// awaited (its promotion would deploy the model again), then <c>POST …/retire</c> removes every alias and route.
    /// Every inference pod loads every deployed model and scores each streamed vector with all of them, so a model left
    /// deployed by each run slows every later one.
    /// </summary>
    public static async Task RetireAsync(GatewayClient client, string model, Guid? rolloutId, string by, string reason)
    {
        var body = new JsonObject { ["by"] = by, ["reason"] = reason };
        if (rolloutId is { } id)
        {
            string? state = null;
            await WithLastState(() => state, () => Eventually.WaitUntilAsync(async () =>
            {
                state = (await client.SendAsync(HttpMethod.Get, $"api/registry/rollouts/{id}", null, null, CancellationToken.None))?["state"]?.GetValue<string>();
                if (state is "Progressing" or "Analysing" or "Paused")
                {
                    try
                    {
                        await client.SendAsync(HttpMethod.Post, $"api/registry/rollouts/{id}/abort", body.DeepClone(), null, CancellationToken.None);
                    }
                    catch (ApiProblem problem) when (problem.Status == HttpStatusCode.Conflict)
                    {
                        // It moved on meanwhile; the next look tells where to.
                    }
                }

                return state is "Promoted" or "RolledBack" or "Aborted" or "AwaitingPromotionApproval";
            }, $"rollout {id} has ended", TimeSpan.FromMinutes(1)));
        }

        try
        {
            await client.SendAsync(HttpMethod.Post, $"api/registry/models/{Uri.EscapeDataString(model)}/retire", body, null, CancellationToken.None);
        }
        catch (ApiProblem problem) when (problem.Status == HttpStatusCode.NotFound)
        {
            // Never registered (the journey failed before): nothing serves it.
        }
    }

    /// <summary>A wait whose timeout names the last state seen.</summary>
    public static async Task WithLastState(Func<string?> state, Func<Task> wait)
    {
        try
        {
            await wait();
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} Last seen: {state() ?? "nothing"}", ex);
        }
    }
}
