namespace Mlops.Contracts.Monitoring;

/// <summary>
/// Over one window of prediction time whose outcomes are known, a model version and variant ranked worse than it did in
/// its own evaluation (MassTransit event): the window's AUROC fell below the baseline by more than the configured margin.
/// Raised at most once per version and variant within the debounce period; <see cref="AlertId"/> is stable across
/// redeliveries, so a consumer deduplicates on it.
/// </summary>
[EventType("mlops.monitoring.performance-degraded.v1")]
public sealed record PerformanceDegraded
{
    /// <summary>Unique id of this alert.</summary>
    public required Guid AlertId { get; init; }

    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Model version whose predictions were scored.</summary>
    public required string ModelVersion { get; init; }

    /// <summary>Deployment alias that served the predictions (e.g. <c>champion</c>, <c>canary</c>).</summary>
    public required string Variant { get; init; }

    /// <summary>The window's id in monitoring's API (<c>/api/monitoring/performance/{id}</c>).</summary>
    public required long WindowId { get; init; }

    /// <summary>Start of the window of prediction time.</summary>
    public required DateTimeOffset WindowStart { get; init; }

    /// <summary>End of the window of prediction time (exclusive).</summary>
    public required DateTimeOffset WindowEnd { get; init; }

    /// <summary>Predictions in the window.</summary>
    public required int Predictions { get; init; }

    /// <summary>Predictions with a known outcome (the ones scored).</summary>
    public required int Labeled { get; init; }

    /// <summary>Positive outcomes among them.</summary>
    public required int Positives { get; init; }

    /// <summary>AUROC over the window's labelled predictions.</summary>
    public required double Auroc { get; init; }

    /// <summary>The AUROC the window was compared with (the version's evaluation AUROC).</summary>
    public required double BaselineAuroc { get; init; }

    /// <summary>Where the baseline came from: <c>version</c> (its own evaluation) or <c>champion</c> (the champion's).</summary>
    public required string BaselineSource { get; init; }

    /// <summary>How far below the baseline the window may fall before this is raised.</summary>
    public required double Margin { get; init; }

    /// <summary>Average precision over the window (sklearn's definition).</summary>
    public required double Auprc { get; init; }

    /// <summary>Brier score over the window.</summary>
    public required double Brier { get; init; }

    /// <summary>Expected calibration error, 10 equal-width bins.</summary>
    public required double Ece { get; init; }

    /// <summary>When monitoring evaluated the window.</summary>
    public required DateTimeOffset DetectedAt { get; init; }
}
