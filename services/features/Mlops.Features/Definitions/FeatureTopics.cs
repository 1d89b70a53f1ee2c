using Mlops.Contracts.Kafka;

namespace Mlops.Features.Definitions;

/// <summary>Topics the feature service reads and writes, bound from <c>Features:Topics</c> (tests use their own).</summary>
public sealed class FeatureTopics
{
    /// <summary>Validated observations in.</summary>
    public string Observations { get; set; } = Topics.Observations;

    /// <summary>Labels in.</summary>
    public string Labels { get; set; } = Topics.Labels;

    /// <summary>Feature vector updates out.</summary>
    public string Features { get; set; } = Topics.Features;

    /// <summary>Consumer group of the streaming computation.</summary>
    public string ObservationGroup { get; set; } = "features-streaming";

    /// <summary>Most observations applied in one transaction.</summary>
    public int StreamBatchSize { get; set; } = 500;

    /// <summary>Consumer group of the label intake.</summary>
    public string LabelGroup { get; set; } = "features-labels";
}
