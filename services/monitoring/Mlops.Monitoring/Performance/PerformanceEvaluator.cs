using Microsoft.Extensions.Options;
using Mlops.Monitoring.Alerts;
using Mlops.Monitoring.Scheduling;
using Mlops.ServiceDefaults.Background;
using Mlops.Monitoring.Settings;
using Mlops.Monitoring.Windows;
using Mlops.ServiceDefaults.Resilience;
using Npgsql;

namespace Mlops.Monitoring.Performance;

/// <summary>
/// Every <see cref="PerformanceOptions.EvaluationInterval"/>: joins newly arrived outcomes to their predictions, scores
/// each window of prediction time whose outcomes are due (AUROC, AUPRC, Brier, ECE, coverage, median delay), queues
/// <c>PerformanceDegraded</c> when the AUROC fell below the baseline by more than the margin, and publishes queued alerts.
/// One replica at a time (advisory lock); a database that does not answer skips the tick.
/// </summary>
public sealed class PerformanceEvaluator(
    PerformanceStore store, ModelSettingsStore settings, AlertOutboxPublisher alerts, IOptions<PerformanceOptions> options, IOptions<DriftOptions> drift,
    ILogger<PerformanceEvaluator> logger) : PeriodicRound(logger, TimeProvider.System)
{
    protected override TimeSpan Interval => options.Value.EvaluationInterval;

    protected override string Work => "Performance evaluation";

    /// <summary>One round: join outcomes, score due windows, publish alerts.</summary>
    public override async Task RunOnceAsync(CancellationToken ct)
    {
        await using var connection = await store.OpenAsync(ct);
        if (!await RoundLock.TryTakeAsync(connection, RoundLock.Performance, ct))
        {
            return;
        }

        try
        {
            // The shipped models and those set over the API, read each round so a setting holds on every replica.
            var models = await settings.OutcomeModelsAsync(ct);
            var joined = await store.JoinOutcomesAsync(connection, models, ct);
            MonitoringTelemetry.OutcomesJoined.Add(joined);
            foreach (var (group, start) in await store.WindowsReadyAsync(connection, drift.Value.Retention, models, ct))
            {
                var model = models.TryGetValue(group.ModelName, out var set) ? set : options.Value.Resolve(null);
                var duration = model.WindowDuration!.Value;
                using var activity = MonitoringTelemetry.Source.StartActivity("monitoring.performance.window");
                activity?.SetTag("mlops.model", group.ModelName);
                activity?.SetTag("mlops.model_version", group.ModelVersion);
                activity?.SetTag("mlops.variant", group.Variant);
                var window = await store.WindowAsync(connection, group, start, duration, ct);
                var baseline = await store.BaselineAsync(connection, group.ModelName, group.ModelVersion, ct);
                var score = PerformanceJudge.Score(window, baseline, model.MinLabeled!.Value, options.Value.AurocMargin);
                activity?.SetTag("mlops.window.labeled", score.Labeled);
                await store.RecordAsync(connection, group, start, duration, score, ct);
                MonitoringTelemetry.PerformanceWindows.Add(1, new("model", group.ModelName), new("degraded", score.Degraded));
            }

            await alerts.PublishPendingAsync(connection, ct);
        }
        finally
        {
            await RoundLock.ReleaseAsync(connection, RoundLock.Performance);
        }
    }
}
