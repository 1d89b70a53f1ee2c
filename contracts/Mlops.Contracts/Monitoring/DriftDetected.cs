namespace Mlops.Contracts.Monitoring;

/// <summary>
/// Production data of one model version and variant drifted from the version's reference profile over one window
/// (MassTransit event). Raised once per window that has drifted features not already reported within the debounce
/// period; <see cref="AlertId"/> is stable across redeliveries, so a consumer deduplicates on it.
/// </summary>
[EventType("mlops.monitoring.drift-detected.v1")]
public sealed record DriftDetected
{
    /// <summary>Unique id of this alert.</summary>
    public required Guid AlertId { get; init; }

    /// <summary>Registered model name.</summary>
    public required string ModelName { get; init; }

    /// <summary>Model version whose reference was compared.</summary>
    public required string ModelVersion { get; init; }

    /// <summary>Deployment alias that served the predictions (e.g. <c>champion</c>, <c>canary</c>).</summary>
    public required string Variant { get; init; }

    /// <summary>The window's id in monitoring's API (<c>/api/monitoring/windows/{id}</c>).</summary>
    public required long WindowId { get; init; }

    /// <summary><c>count</c> (a fixed number of predictions) or <c>time</c> (a fixed period).</summary>
    public required string WindowKind { get; init; }

    /// <summary>Earliest prediction time in the window (the period's start for time windows).</summary>
    public required DateTimeOffset WindowStart { get; init; }

    /// <summary>Latest prediction time in the window (the period's end for time windows).</summary>
    public required DateTimeOffset WindowEnd { get; init; }

    /// <summary>Predictions in the window.</summary>
    public required int WindowSamples { get; init; }

    /// <summary>True when at least the configured share of the features drifted (Evidently's dataset drift).</summary>
    public required bool DatasetDrift { get; init; }

    /// <summary>Share of evaluated features that drifted in the window.</summary>
    public required double DriftedShare { get; init; }

    /// <summary>The newly reported drifted features (and <c>prediction</c> for the model's output), with their evidence.</summary>
    public required IReadOnlyList<DriftEvidence> Features { get; init; }

    /// <summary>When monitoring evaluated the window.</summary>
    public required DateTimeOffset DetectedAt { get; init; }
}

/// <summary>Why one feature was judged drifted.</summary>
public sealed record DriftEvidence
{
    /// <summary>Feature name, or <c>prediction</c>.</summary>
    public required string Feature { get; init; }

    /// <summary>Statistic: <c>ks</c>, <c>chisquare</c>, <c>z</c>, <c>wasserstein</c>, <c>jensenshannon</c> or <c>psi</c>.</summary>
    public required string Method { get; init; }

    /// <summary>The test statistic or distance.</summary>
    public required double Statistic { get; init; }

    /// <summary>What was compared with the threshold: the p-value for tests, the distance otherwise.</summary>
    public required double Score { get; init; }

    /// <summary>The threshold in force.</summary>
    public required double Threshold { get; init; }

    /// <summary>Population stability index over the same values.</summary>
    public required double Psi { get; init; }

    /// <summary>Reference values compared.</summary>
    public required int ReferenceCount { get; init; }

    /// <summary>Window values compared.</summary>
    public required int CurrentCount { get; init; }
}
