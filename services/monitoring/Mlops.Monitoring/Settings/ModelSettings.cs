using Mlops.Monitoring.Performance;
using Mlops.Monitoring.Retraining;
using Mlops.Monitoring.Slo;

namespace Mlops.Monitoring.Settings;

/// <summary>
/// One model's monitoring settings as set over the API: how its outcomes are judged, what may retrain it and its SLO
/// objectives. A part left out (null) falls back to the shipped configuration for the model
/// (<c>Monitoring:Performance:Models</c>, <c>Monitoring:Retraining:Models</c>, <c>Monitoring:Slo:Models</c>), then to
/// the service-wide values.
/// </summary>
public sealed record ModelSettings
{
    public ModelOutcomeOptions? Performance { get; init; }

    public RetrainingModelOptions? Retraining { get; init; }

    /// <summary>The model's SLO objectives (latency threshold and objective, availability objective).</summary>
    public ModelSloOptions? Slo { get; init; }

    public string UpdatedBy { get; init; } = "";

    public DateTimeOffset UpdatedAt { get; init; }
}
