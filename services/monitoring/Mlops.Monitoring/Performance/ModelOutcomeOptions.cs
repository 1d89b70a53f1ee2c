namespace Mlops.Monitoring.Performance;

/// <summary>Which labels answer one model's predictions, and how long after a prediction its outcome may refer to.</summary>
public sealed class ModelOutcomeOptions
{
    /// <summary>Label name (<c>LabelRecorded.Name</c>) the model predicts; null takes labels of any name.</summary>
    public string? Label { get; set; }

    /// <summary>
    /// Prediction horizon: a label at event time t for entity e answers the predictions of e made in [t − horizon, t]
    /// (when it carries no prediction id). Null uses <see cref="PerformanceOptions.DefaultHorizon"/>.
    /// </summary>
    public TimeSpan? Horizon { get; set; }
}
