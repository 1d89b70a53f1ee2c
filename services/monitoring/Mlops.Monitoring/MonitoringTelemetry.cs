using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mlops.Monitoring;

/// <summary>Spans and metrics of the monitoring service.</summary>
public static class MonitoringTelemetry
{
    public const string Name = "Mlops.Monitoring";

    public static readonly ActivitySource Source = new(Name);

    static readonly Meter Meter = new(Name);

    /// <summary>Records taken in (tag <c>topic</c>).</summary>
    public static readonly Counter<long> Consumed = Meter.CreateCounter<long>("mlops.monitoring.records_consumed", "{record}");

    /// <summary>Windows judged (tags <c>kind</c>, <c>dataset_drift</c>).</summary>
    public static readonly Counter<long> WindowsEvaluated = Meter.CreateCounter<long>("mlops.monitoring.windows_evaluated", "{window}");

    /// <summary>Windows recorded without a verdict because their version has no reference profile (tags <c>model</c>, <c>kind</c>).</summary>
    public static readonly Counter<long> WindowsWithoutProfile = Meter.CreateCounter<long>("mlops.monitoring.windows_without_profile", "{window}");

    /// <summary>Drifted features found (tags <c>model</c>, <c>feature</c>, <c>method</c>).</summary>
    public static readonly Counter<long> FeaturesDrifted = Meter.CreateCounter<long>("mlops.monitoring.features_drifted", "{feature}");

    /// <summary>Time to judge one window.</summary>
    public static readonly Histogram<double> EvaluationDuration = Meter.CreateHistogram<double>("mlops.monitoring.window_evaluation.duration", "ms");

    /// <summary>DriftDetected events published.</summary>
    public static readonly Counter<long> AlertsPublished = Meter.CreateCounter<long>("mlops.monitoring.drift_alerts_published", "{alert}");

    /// <summary>Predictions given their outcome (delayed labels joined).</summary>
    public static readonly Counter<long> OutcomesJoined = Meter.CreateCounter<long>("mlops.monitoring.outcomes_joined", "{prediction}");

    /// <summary>Performance windows scored (tags <c>model</c>, <c>degraded</c>).</summary>
    public static readonly Counter<long> PerformanceWindows = Meter.CreateCounter<long>("mlops.monitoring.performance_windows", "{window}");

    /// <summary>Reads of an inference pod's <c>/metrics</c> for SLOs (tags <c>instance</c>, <c>outcome</c>: read, failed).</summary>
    public static readonly Counter<long> SloScrapes = Meter.CreateCounter<long>("mlops.monitoring.slo_scrapes", "{scrape}");

    /// <summary>Time to read one inference pod's <c>/metrics</c> (tag <c>instance</c>).</summary>
    public static readonly Histogram<double> SloScrapeDuration = Meter.CreateHistogram<double>("mlops.monitoring.slo_scrape.duration", "ms");

    /// <summary>SloBreached alerts queued (tags <c>model</c>, <c>kind</c>, <c>severity</c>).</summary>
    public static readonly Counter<long> SloBreaches = Meter.CreateCounter<long>("mlops.monitoring.slo_breaches", "{alert}");

    /// <summary>Webhook delivery attempts (tags <c>status</c>: delivered, pending (to be retried), failed; <c>event_type</c>).</summary>
    public static readonly Counter<long> WebhookAttempts = Meter.CreateCounter<long>("mlops.monitoring.webhook_attempts", "{attempt}");

    /// <summary>Retraining requests (tags <c>trigger</c>, <c>status</c>: accepted, debounced, refused).</summary>
    public static readonly Counter<long> RetrainingRequests = Meter.CreateCounter<long>("mlops.monitoring.retraining_requests", "{request}");

    /// <summary>Retrainings ended (tags <c>outcome</c>, <c>trigger</c>).</summary>
    public static readonly Counter<long> RetrainingsFinished = Meter.CreateCounter<long>("mlops.monitoring.retrainings_finished", "{retraining}");
}
