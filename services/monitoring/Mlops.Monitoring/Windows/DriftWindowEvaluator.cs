using System.Diagnostics;
using Microsoft.Extensions.Options;
using Mlops.Monitoring.Alerts;
using Mlops.Monitoring.Profiles;
using Mlops.Monitoring.Scheduling;
using Mlops.ServiceDefaults.Background;
using Mlops.Monitoring.Storage;
using Mlops.ServiceDefaults.Resilience;
using Npgsql;

namespace Mlops.Monitoring.Windows;

/// <summary>
/// Closes tumbling windows — every <see cref="DriftOptions.WindowSize"/> predictions of a version and variant, and every
/// <see cref="DriftOptions.WindowDuration"/> of prediction time once its lateness has passed, each model with its own
/// sizes where <see cref="DriftOptions.Models"/> sets them — judges each against the
/// version's reference profile, records the verdict and queues an alert, then publishes the queued alerts. Replicas take
/// turns through a PostgreSQL advisory lock; a database that does not answer skips the tick.
/// </summary>
public sealed class DriftWindowEvaluator(
    DriftWindowStore store, ReferenceProfileStore profiles, DriftAlertPublisher alerts, IOptions<DriftOptions> options,
    TimeProvider clock, ILogger<DriftWindowEvaluator> logger) : PeriodicRound(logger, clock)
{
    DriftOptions Options => options.Value;

    protected override TimeSpan Interval => Options.EvaluationInterval;

    protected override string Work => "Drift evaluation";

    /// <summary>One round: prune, close count windows, close time windows, publish alerts.</summary>
    public override async Task RunOnceAsync(CancellationToken ct)
    {
        await using var connection = await store.OpenAsync(ct);
        if (!await RoundLock.TryTakeAsync(connection, RoundLock.DriftWindows, ct))
        {
            return;
        }

        try
        {
            await store.PruneAsync(connection, Options.Retention, ct);
            await DriftWindowStore.JoinLateVectorsAsync(connection, ct);
            if (Options.AnyCountWindows)
            {
                await CloseCountWindowsAsync(connection, ct);
            }

            if (Options.AnyTimeWindows)
            {
                await CloseTimeWindowsAsync(connection, ct);
            }

            await alerts.PublishPendingAsync(connection, ct);
        }
        finally
        {
            await RoundLock.ReleaseAsync(connection, RoundLock.DriftWindows);
        }
    }

    async Task CloseCountWindowsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        // The size the readiness query found the group ready at, so a window is cut at exactly that many predictions.
        foreach (var (group, size) in await store.CountWindowsReadyAsync(connection, Options, ct))
        {
            var profile = await profiles.GetAsync(group.ModelName, group.ModelVersion, ct);
            while (true)
            {
                await using var transaction = await connection.BeginTransactionAsync(ct);
                var (seqs, samples) = await store.NextCountWindowAsync(connection, transaction, group, size, Options.JoinTimeout, ct);
                // Nothing to compare with (yet): a window waits ProfileWait past its newest prediction for a profile,
                // then is recorded without a verdict, as a time window is.
                if (seqs.Length < size || (profile is null && samples.Max(s => s.PredictedAt) + Options.ProfileWait > Clock.GetUtcNow()))
                {
                    await transaction.RollbackAsync(ct);
                    break;
                }

                var first = samples.Min(s => s.PredictedAt);
                var verdict = profile is null ? null : Judge(group, "count", profile, samples);
                if (profile is null)
                {
                    WithoutProfile(group, "count", first);
                }

                var windowId = await store.RecordAsync(
                    connection, transaction, group, "count", first, samples.Max(s => s.PredictedAt), samples.Count, verdict, Options.Debounce, ct);
                await DriftWindowStore.AssignAsync(connection, transaction, seqs, windowId!.Value, ct);
                await transaction.CommitAsync(ct);
            }
        }
    }

    async Task CloseTimeWindowsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        foreach (var (group, start, end) in await store.TimeWindowsReadyAsync(connection, Options, ct))
        {
            var profile = await profiles.GetAsync(group.ModelName, group.ModelVersion, ct);
            if (profile is null && end + Options.ProfileWait > Clock.GetUtcNow())
            {
                continue;
            }

            // Too few predictions to judge, or still no profile: the window is recorded (so it is not looked at again)
            // without a verdict — and without a profile only its predictions are counted, not read.
            int count;
            WindowVerdict? verdict = null;
            if (profile is null)
            {
                count = await DriftWindowStore.TimeWindowCountAsync(connection, group, start, end, ct);
                WithoutProfile(group, "time", start);
            }
            else
            {
                var samples = await store.TimeWindowSamplesAsync(connection, group, start, end, ct);
                count = samples.Count;
                verdict = count >= Options.For(group.ModelName).MinWindowSamples ? Judge(group, "time", profile, samples) : null;
            }

            await using var transaction = await connection.BeginTransactionAsync(ct);
            await store.RecordAsync(connection, transaction, group, "time", start, end, count, verdict, Options.Debounce, ct);
            await JudgedWindowMarks.DriftAsync(connection, transaction, group, start, end, ct);
            await transaction.CommitAsync(ct);
        }
    }

    void WithoutProfile(DriftWindowStore.Group group, string kind, DateTimeOffset start)
    {
        MonitoringTelemetry.WindowsWithoutProfile.Add(1, new("model", group.ModelName), new("kind", kind));
        logger.LogInformation("Drift {Kind} window from {Start:O} of {Model} {Version} ({Variant}) recorded without a verdict: the version has no reference profile",
            kind, start, group.ModelName, group.ModelVersion, group.Variant);
    }

    WindowVerdict Judge(DriftWindowStore.Group group, string kind, Contracts.Monitoring.ReferenceProfile profile, List<WindowSample> samples)
    {
        using var activity = MonitoringTelemetry.Source.StartActivity("monitoring.drift.window");
        activity?.SetTag("mlops.model", group.ModelName);
        activity?.SetTag("mlops.model_version", group.ModelVersion);
        activity?.SetTag("mlops.variant", group.Variant);
        activity?.SetTag("mlops.window.kind", kind);
        activity?.SetTag("mlops.window.samples", samples.Count);
        var started = Stopwatch.GetTimestamp();
        var verdict = DriftWindowJudge.Judge(profile, samples, Options, group.ModelName);
        MonitoringTelemetry.EvaluationDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("kind", kind));
        MonitoringTelemetry.WindowsEvaluated.Add(1, new("kind", kind), new("dataset_drift", verdict.DatasetDrift));
        foreach (var drifted in verdict.Results.Where(r => r.Drifted))
        {
            MonitoringTelemetry.FeaturesDrifted.Add(1, new("model", group.ModelName), new("feature", drifted.Feature), new("method", drifted.Method.ToString()));
        }

        activity?.SetTag("mlops.window.drifted_features", verdict.DriftedFeatures);
        return verdict;
    }
}
