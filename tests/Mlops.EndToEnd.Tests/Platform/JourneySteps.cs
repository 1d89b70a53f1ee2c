using System.Diagnostics;
using Mlops.Cli.Core.Csv;
using Mlops.Cli.Core.Gateway;
using Mlops.Cli.Core.Streaming;
using Mlops.Testing;
using Xunit;
using Xunit.Sdk;

namespace Mlops.EndToEnd.Tests.Platform;

/// <summary>
/// A journey's named steps: each is timed and logged, and a failure names the journey and the step and carries the
/// log tails of the services the step involves — CI shows only part of a long run's output, so the failure message
/// must be readable on its own. <paramref name="logTails"/> gives those tails (the platform's, plus any replicas');
/// <paramref name="context"/>, if given, adds a line to the log on failure (e.g. what a receiver has seen).
/// </summary>
public sealed class JourneySteps(string journey, Action<string> log, Func<string[], string> logTails, Func<string>? context = null)
{
    public JourneySteps(string journey, Action<string> log, PlatformUnderTest platform, Func<string>? context = null)
        : this(journey, log, services => platform.LogTails(40, services), context)
    {
    }

    public async Task<T> RunAsync<T>(string name, Func<Task<T>> action, params string[] services)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var result = await action();
            log($"✔ {name} ({watch.Elapsed.TotalSeconds:0.0} s)");
            return result;
        }
        catch (Exception ex)
        {
            var logs = logTails(services);
            log($"✘ {name}: {ex.Message}\n{logs}{(context is null ? "" : "\n" + context())}");
            throw new XunitException($"{journey} step '{name}' failed: {ex.Message}\n{logs}");
        }
    }

    public Task RunAsync(string name, Func<Task> action, params string[] services) =>
        RunAsync(name, async () =>
        {
            await action();
            return true;
        }, services);

    public Task GatewayReadyAsync(GatewayClient client) =>
        RunAsync("gateway ready", () => Eventually.WaitUntilAsync(() => client.IsReadyAsync(CancellationToken.None), "the gateway reports ready"), "gateway");

    /// <summary>
    /// The ward's history and outcomes through the gateway, none refused, then a sample of 15 patients' online features
    /// caught up with their last vitals — what every journey that trains needs first.
    /// </summary>
    public Task HistoryOutcomesAndFeaturesAsync(GatewayClient client, Mlops.Cli.Core.Ward.Ward ward) => RunAsync("history, outcomes and features", async () =>
    {
        var outcome = await Uploads.ObservationsAsync(client, ward.Observations.Select((o, i) => ($"#{i}", ObservationCsv.ToJson(o))).ToList(), 2000, null, CancellationToken.None);
        Assert.True(outcome.Refused.Count == 0, $"{outcome.Refused.Count} observations refused, e.g. {outcome.Refused.FirstOrDefault()?.Reason}");
        var (recorded, duplicates, refused) = await Uploads.OutcomesAsync(client, ward.Outcomes.Select(o => (o.EntityId, OutcomeCsv.ToJson(o))).ToList(), null, CancellationToken.None);
        Assert.True(refused.Count == 0, $"{refused.Count} outcomes refused, e.g. {refused.FirstOrDefault()?.Reason}");
        Assert.Equal(ward.Outcomes.Count, recorded + duplicates);
        log($"{ward.Observations.Count} observations and {ward.Outcomes.Count} outcomes accepted");
        var caught = await JourneyWaits.FeaturesCaughtUpAsync(client, ward, 15, TimeSpan.FromMinutes(3), CancellationToken.None);
        Assert.True(caught == 15, $"only {caught} of 15 sampled patients have online features up to their last vitals");
    }, "gateway", "ingestion", "features");
}
