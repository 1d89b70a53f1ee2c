using System.Collections.Concurrent;
using System.Diagnostics;
using Mlops.Cli.Core.Csv;
using Mlops.Cli.Core.Gateway;
using Mlops.Cli.Core.Streaming;
using Mlops.Cli.Core.Ward;
using Mlops.EndToEnd.Tests.Platform;
using Mlops.Testing;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Mlops.EndToEnd.Tests.Chaos;

/// <summary>
/// One fault under a steady stream: a few patients with an hour of history (so every feature vector can be scored),
/// then observations through the gateway at <see cref="ObservationsPerSecond"/>; the fault; the wait until a
/// prediction arrives for an observation sent after the fault ended (the recovery time); a few more seconds of
/// stream; then the audit of stores and topics, polled until the pipeline has drained.
/// </summary>
public sealed class ChaosScenario(ChaosFixture fixture, ITestOutputHelper output)
{
    const int Patients = 6;
    const double ObservationsPerSecond = 30;
    static readonly TimeSpan SteadyBefore = TimeSpan.FromSeconds(3);
    static readonly TimeSpan SteadyAfter = TimeSpan.FromSeconds(2);
    static readonly TimeSpan RecoveryLimit = TimeSpan.FromMinutes(2);
    // Generous: a pipeline that is only slow to catch up after the fault is not a loss (CI's machines are slower than
    // this one); what is still missing after it is.
    static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(180);

    PlatformUnderTest Platform => fixture.Platform;

    /// <summary>
    /// Runs <paramref name="inject"/> (which causes the fault and ends it) under the stream. <paramref name="saga"/>, if
    /// given, starts a workflow before the fault and returns a check that it finished, run after the stream.
    /// </summary>
    public async Task<ChaosFigures> RunAsync(string fault, Func<Task> inject, Func<GatewayClient, Task<Func<Task<string>>>>? saga = null)
    {
        using var client = new GatewayClient(Platform.Gateway, Platform.ApiKey, TimeSpan.FromMinutes(1));
        await Eventually.WaitUntilAsync(() => client.IsReadyAsync(CancellationToken.None), "the gateway reports ready", TimeSpan.FromMinutes(2));
        var prefix = $"chaos-{fault.Split(' ')[0]}-{Guid.NewGuid():N}"[..24] + "-";
        var liveFrom = DateTimeOffset.UtcNow.AddMinutes(-30);
        var ward = WardGenerator.Generate(new WardOptions { Patients = Patients, Seed = 11, HistoryHours = 1, AssessmentSpreadHours = 0, End = liveFrom, EntityPrefix = prefix });
        var beforeHistory = PipelineAudit.Marks.Now();
        var history = await Uploads.ObservationsAsync(client, ward.Observations.Select((o, i) => ($"#{i}", ObservationCsv.ToJson(o))).ToList(), 2000, null, CancellationToken.None);
        Assert.True(history.Refused.Count == 0, $"history refused: {string.Join(" | ", history.Refused.Take(3).Select(r => r.Reason))}");
        Assert.Equal(Patients, await JourneyWaits.FeaturesCaughtUpAsync(client, ward, Patients, TimeSpan.FromMinutes(2), CancellationToken.None));

        var marks = await PipelineAudit.Marks.AfterScoredAsync(prefix, beforeHistory, TimeSpan.FromMinutes(2));
        using var watcher = new PredictionWatcher(prefix);
        var sagaCheck = saga is null ? null : await saga(client);
        await using var stream = new ObservationStream(Platform.Gateway, Platform.ApiKey, ward.Options, ward.Patients, ObservationsPerSecond, liveFrom);
        stream.Start();
        await Task.Delay(SteadyBefore);

        var faultStarted = DateTimeOffset.UtcNow;
        Log($"{fault}: fault starts");
        await inject();
        var faultEnded = DateTimeOffset.UtcNow;
        Log($"{fault}: fault over after {(faultEnded - faultStarted).TotalSeconds:0.0} s");

        var recoveredAt = await watcher.FirstAfterAsync(stream.FirstSent, faultEnded, RecoveryLimit);
        var recovery = recoveredAt - faultEnded;
        Log(recovery is { } r ? $"{fault}: delivering again {r.TotalSeconds:0.0} s after the fault" : $"{fault}: no prediction for a new observation within {RecoveryLimit.TotalSeconds} s");
        await Task.Delay(SteadyAfter);
        await stream.StopAsync();

        var acknowledged = stream.Acknowledged.Keys.ToList();
        PipelineAudit audit = null!;
        var drain = Stopwatch.StartNew();
        do
        {
            audit = await PipelineAudit.TakeAsync(prefix, acknowledged, marks);
            if (audit.Clean)
            {
                break;
            }

            await Task.Delay(1000);
        }
        while (drain.Elapsed < DrainLimit);

        var sagaOutcome = sagaCheck is null ? "—" : await sagaCheck();
        var until = recoveredAt ?? DateTimeOffset.UtcNow;
        var figures = new ChaosFigures(
            fault,
            faultEnded - faultStarted,
            stream.FirstSent.Count,
            stream.FirstSent.Count(s => s.Value >= faultStarted && s.Value <= until),
            audit,
            recovery,
            string.Join(", ", stream.Answers.OrderBy(a => a.Key).Select(a => $"{(a.Key == 0 ? "no answer" : a.Key.ToString())}×{a.Value}")),
            sagaOutcome);
        fixture.Figures.Add(figures);
        Log($"{fault}: {audit} ({(audit.Clean ? "clean" : "not clean")} after {drain.Elapsed.TotalSeconds:0} s of draining)");
        Log(ChaosFigures.Header);
        Log(ChaosFigures.Rule);
        Log(figures.Row());

        var problems = new List<string>();
        if (!audit.Clean)
        {
            problems.Add($"the pipeline did not deliver every observation exactly once within {DrainLimit.TotalSeconds} s: {audit.Problems}\n  all figures: {audit}");
        }

        if (recovery is null)
        {
            problems.Add($"no prediction for an observation sent after the fault within {RecoveryLimit.TotalSeconds} s");
        }

        if (!stream.UnexpectedAnswers.IsEmpty)
        {
            problems.Add($"{stream.UnexpectedAnswers.Count} answers other than 2xx/503, e.g. {string.Join(" | ", stream.UnexpectedAnswers.Take(3))}");
        }

        foreach (var (name, process) in Platform.Processes.Where(p => p.Value.HasExited))
        {
            problems.Add($"{name} exited: {process.Tail(20)}");
        }

        if (problems.Count > 0)
        {
            // CI shows only the start of a long failure: the service the audit implicates comes first.
            string[] tails = audit.LostAtMonitoring + audit.StoredTwiceAtMonitoring > 0
                ? ["monitoring", "inference", "features", "ingestion", "gateway"]
                : ["ingestion", "features", "inference", "monitoring", "gateway"];
            throw new XunitException($"{fault}: {string.Join("\n", problems)}\n{Platform.LogTails(30, tails)}");
        }

        return figures;
    }

    /// <summary>Kills <paramref name="service"/> (SIGKILL), leaves it down for <paramref name="down"/> and starts it again.</summary>
    public Func<Task> Kill(string service, TimeSpan down) => async () =>
    {
        await Platform.KillAsync(service);
        await Task.Delay(down);
        Platform.Restart(service);
    };

    /// <summary>Stops infrastructure parts in order, leaves them down for <paramref name="down"/>, starts them in reverse order.</summary>
    public static Func<Task> Stop(TimeSpan down, params string[] parts) => async () =>
    {
        foreach (var part in parts)
        {
            await InfrastructureFaults.StopAsync(part);
        }

        await Task.Delay(down);
        foreach (var part in parts.Reverse())
        {
            await InfrastructureFaults.StartAsync(part);
        }
    };

    void Log(string line) => output.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");

    /// <summary>Reads <c>predictions.v1</c> from its end while the scenario runs, noting when each prediction arrived.</summary>
    sealed class PredictionWatcher : IDisposable
    {
        readonly PredictionStream _stream = PredictionStream.Open(PlatformInfrastructure.Configuration);
        readonly ConcurrentQueue<(DateTimeOffset At, string? Trigger)> _arrivals = new();
        readonly CancellationTokenSource _stop = new();
        readonly Task _reader;

        public PredictionWatcher(string prefix) => _reader = Task.Run(() =>
        {
            while (!_stop.IsCancellationRequested)
            {
                if (_stream.Next(TimeSpan.FromMilliseconds(500)) is { Streamed: true } p && p.EntityId.StartsWith(prefix, StringComparison.Ordinal))
                {
                    _arrivals.Enqueue((DateTimeOffset.UtcNow, p.TriggeringObservationId));
                }
            }
        });

        /// <summary>When the first prediction arrived whose triggering observation was first sent after <paramref name="after"/>.</summary>
        public async Task<DateTimeOffset?> FirstAfterAsync(ConcurrentDictionary<string, DateTimeOffset> sent, DateTimeOffset after, TimeSpan limit)
        {
            var deadline = DateTimeOffset.UtcNow + limit;
            while (DateTimeOffset.UtcNow < deadline)
            {
                var hit = _arrivals.Where(a => a.Trigger is not null && sent.TryGetValue(a.Trigger, out var at) && at >= after).Select(a => (DateTimeOffset?)a.At).Min();
                if (hit is not null)
                {
                    return hit;
                }

                await Task.Delay(100);
            }

            return null;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _reader.Wait(TimeSpan.FromSeconds(5));
            _stream.Dispose();
            _stop.Dispose();
        }
    }
}
