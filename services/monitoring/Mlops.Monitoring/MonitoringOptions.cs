using System.ComponentModel.DataAnnotations;
using Mlops.Contracts.Kafka;

namespace Mlops.Monitoring;

/// <summary>Where monitoring reads from (section <c>Monitoring</c>).</summary>
public sealed class MonitoringOptions
{
    public const string Section = "Monitoring";

    /// <summary>The training service, which serves each run's reference profile.</summary>
    [Required]
    public Uri? TrainingBaseAddress { get; set; }

    /// <summary>
    /// Every inference pod whose <c>/metrics</c> the SLOs are measured from (each is its own series, so one pod's
    /// restart is told apart from another's traffic); empty turns SLO measurement off.
    /// </summary>
    public List<Uri> InferenceBaseAddresses { get; set; } = [];

    /// <summary>Prefix of the Kafka consumer groups (<c>{prefix}-features</c>, <c>{prefix}-predictions</c>, <c>{prefix}-labels</c>).</summary>
    [Required]
    public string ConsumerGroup { get; set; } = "monitoring";

    [Required]
    public string FeaturesTopic { get; set; } = Topics.Features;

    [Required]
    public string PredictionsTopic { get; set; } = Topics.Predictions;

    [Required]
    public string LabelsTopic { get; set; } = Topics.Labels;

    /// <summary>Queue of the <c>ModelVersionRegistered</c> consumer (shared by replicas: one copy of each profile is enough).</summary>
    [Required]
    public string ModelVersionsEndpoint { get; set; } = "monitoring-model-versions";
}
