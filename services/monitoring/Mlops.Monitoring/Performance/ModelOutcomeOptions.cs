namespace Mlops.Monitoring.Performance;

/// <summary>
/// Which labels answer one model's predictions, how long after a prediction its outcome may refer to, and how its
/// windows are scored. Every null falls back to the service-wide value in <see cref="PerformanceOptions"/>.
/// </summary>
public sealed class ModelOutcomeOptions
{
    /// <summary>Label name (<c>LabelRecorded.Name</c>) the model predicts; null takes labels of any name.</summary>
    public string? Label { get; set; }

    /// <summary>
    /// Prediction horizon: a label at event time t for entity e answers the predictions of e made in [t − horizon, t]
    /// (when it carries no prediction id). Null uses <see cref="PerformanceOptions.DefaultHorizon"/>.
    /// </summary>
    public TimeSpan? Horizon { get; set; }

    /// <summary>Length of the model's tumbling windows; a model whose outcomes come within minutes is judged in minutes.</summary>
    public TimeSpan? WindowDuration { get; set; }

    /// <summary>How long after a window's end plus the horizon its outcomes may still arrive.</summary>
    public TimeSpan? LabelLateness { get; set; }

    /// <summary>Fewest labelled predictions a window of this model is scored with.</summary>
    public int? MinLabeled { get; set; }
}
