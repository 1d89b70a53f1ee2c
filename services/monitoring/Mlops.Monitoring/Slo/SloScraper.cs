using System.Diagnostics;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Alerts;
using Mlops.Monitoring.Scheduling;
using Mlops.ServiceDefaults.Background;
using Mlops.Monitoring.Settings;
using Mlops.ServiceDefaults.Resilience;
using Npgsql;

namespace Mlops.Monitoring.Slo;

/// <summary>
/// Every <see cref="SloOptions.ScrapeInterval"/>: reads each inference pod's counters, stores them, judges every
/// version's SLOs against its model's objectives (settings over the API, else configured, else service-wide) over the
/// burn-rate rules' windows, queues <c>SloBreached</c> for each firing kind and severity not already open and not
/// reported within the debounce period, <c>SloCleared</c> for each open breach no longer firing, and publishes queued
/// alerts. A pod that does not answer is skipped this round
/// (its next reading covers the gap) and shown Degraded in readiness; a database that does not answer skips the round.
/// One replica at a time (advisory lock), so two replicas do not store the same scrape twice.
/// </summary>
public sealed class SloScraper(
    InferenceMetricsClient metrics, SloStore store, ModelSettingsStore settings, AlertOutboxPublisher alerts, SloScrapeStatus status,
    IOptions<SloOptions> options, IOptions<MonitoringOptions> monitoring, TimeProvider clock, ILogger<SloScraper> logger) : PeriodicRound(logger, clock)
{
    protected override TimeSpan Interval => options.Value.ScrapeInterval;

    protected override string Work => "SLO evaluation";

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (monitoring.Value.InferenceBaseAddresses.Count == 0)
        {
            logger.LogWarning("SLOs are not measured: no inference address is configured (Monitoring:InferenceBaseAddresses)");
            return Task.CompletedTask;
        }

        return base.ExecuteAsync(stoppingToken);
    }

    /// <summary>One round: scrape, store, judge, queue and publish alerts.</summary>
    public override async Task RunOnceAsync(CancellationToken ct)
    {
        await using var connection = await store.OpenAsync(ct);
        if (!await RoundLock.TryTakeAsync(connection, RoundLock.Slo, ct))
        {
            return;
        }

        try
        {
            using var activity = MonitoringTelemetry.Source.StartActivity("monitoring.slo.round");
            var readings = await ScrapeAsync(ct);
            var now = Clock.GetUtcNow();
            activity?.SetTag("mlops.slo.readings", readings.Count);
            if (readings.Count > 0)
            {
                await store.RecordAsync(connection, readings, now, ct);
            }

            var objectives = await settings.SloObjectivesAsync(ct);
            var statuses = await store.StatusAsync(connection, null, now, ct, objectives);
            var open = (await store.OpenBreachesAsync(connection, ct)).ToDictionary(b => (b.ModelName, b.ModelVersion, b.Kind, b.Severity));
            var firing = new HashSet<(string, string, string, string)>();
            foreach (var (slo, rule) in SloJudge.Breaches(statuses))
            {
                var key = (slo.ModelName, slo.ModelVersion, slo.Kind, rule.Severity);
                firing.Add(key);
                if (open.ContainsKey(key))
                {
                    // Raised already and still burning: one alert per breach, not one per round.
                    continue;
                }

                var alert = Alert(slo, rule, now);
                if (await store.QueueAsync(connection, alert, ct))
                {
                    MonitoringTelemetry.SloBreaches.Add(1, new("model", slo.ModelName), new("kind", slo.Kind), new("severity", rule.Severity));
                    logger.LogWarning(
                        "SLO {Kind} of {Model} {Version} burning: {Severity}, burn rate {Long:G4} over {LongWindow} and {Short:G4} over {ShortWindow} (threshold {Threshold})",
                        slo.Kind, slo.ModelName, slo.ModelVersion, rule.Severity, rule.Long.BurnRate, rule.Long.Window, rule.Short.BurnRate, rule.Short.Window, rule.BurnRateThreshold);
                }
            }

            foreach (var (key, breach) in open.Where(o => !firing.Contains(o.Key)))
            {
                var slo = statuses.FirstOrDefault(s => (s.ModelName, s.ModelVersion, s.Kind) == (key.ModelName, key.ModelVersion, key.Kind));
                if (await store.ClearAsync(connection, Cleared(breach, slo, options.Value, store.ObjectivesOf(breach.ModelName, objectives), now), ct))
                {
                    logger.LogInformation("SLO {Kind} of {Model} {Version} ({Severity}) no longer burning: breach {Alert} cleared",
                        breach.Kind, breach.ModelName, breach.ModelVersion, breach.Severity, breach.AlertId);
                }
            }

            await alerts.PublishPendingAsync(connection, ct);
        }
        finally
        {
            await RoundLock.ReleaseAsync(connection, RoundLock.Slo);
        }
    }

    async Task<List<SloReading>> ScrapeAsync(CancellationToken ct)
    {
        var readings = new List<SloReading>();
        foreach (var address in monitoring.Value.InferenceBaseAddresses)
        {
            var instance = address.ToString();
            var started = Stopwatch.GetTimestamp();
            try
            {
                readings.AddRange(await metrics.ReadAsync(address, ct));
                status.Succeeded(instance);
                MonitoringTelemetry.SloScrapes.Add(1, new("instance", instance), new("outcome", "read"));
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                // Inference down or slow is transient: the pod's next reading covers the gap, so nothing is lost.
                status.Failed(instance, e.Message, Clock.GetUtcNow());
                MonitoringTelemetry.SloScrapes.Add(1, new("instance", instance), new("outcome", "failed"));
                logger.LogWarning("SLO scrape of {Instance} failed, retrying next interval: {Reason}", instance, e.Message);
            }
            finally
            {
                MonitoringTelemetry.SloScrapeDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("instance", instance));
            }
        }

        return readings;
    }

    /// <summary>
    /// The end of an open breach, with the severity's first rule's windows as judged now; a version no longer counted
    /// within the retention has none (its burn rates are null).
    /// </summary>
    internal static SloCleared Cleared(SloStore.OpenBreach breach, SloStatus? slo, SloOptions options, SloObjectives objectives, DateTimeOffset now)
    {
        var rule = slo?.Rules.FirstOrDefault(r => r.Severity == breach.Severity);
        var configured = options.EffectiveRules.FirstOrDefault(r => r.Severity == breach.Severity) ?? options.EffectiveRules[0];
        return new()
        {
            AlertId = Guid.CreateVersion7(now),
            BreachAlertId = breach.AlertId,
            ModelName = breach.ModelName,
            ModelVersion = breach.ModelVersion,
            Kind = breach.Kind,
            Severity = breach.Severity,
            Objective = slo?.Objective ?? objectives.Of(breach.Kind),
            LatencyThresholdMs = slo?.LatencyThresholdMs,
            BreachedAt = breach.BreachedAt,
            BurnRateThreshold = rule?.BurnRateThreshold ?? configured.BurnRate,
            LongWindow = rule?.Long.Window ?? configured.LongWindow,
            ShortWindow = rule?.Short.Window ?? configured.ShortWindow,
            LongBurnRate = rule?.Long.BurnRate,
            ShortBurnRate = rule?.Short.BurnRate,
            ClearedAt = now,
        };
    }

    internal static SloBreached Alert(SloStatus slo, RuleStatus rule, DateTimeOffset now) => new()
    {
        AlertId = Guid.CreateVersion7(now),
        ModelName = slo.ModelName,
        ModelVersion = slo.ModelVersion,
        Kind = slo.Kind,
        Severity = rule.Severity,
        Objective = slo.Objective,
        LatencyThresholdMs = slo.LatencyThresholdMs,
        BurnRateThreshold = rule.BurnRateThreshold,
        LongWindow = rule.Long.Window,
        ShortWindow = rule.Short.Window,
        LongBurnRate = rule.Long.BurnRate!.Value,
        ShortBurnRate = rule.Short.BurnRate!.Value,
        LongBad = rule.Long.Bad,
        LongTotal = rule.Long.Total,
        ShortBad = rule.Short.Bad,
        ShortTotal = rule.Short.Total,
        DetectedAt = now,
    };
}
