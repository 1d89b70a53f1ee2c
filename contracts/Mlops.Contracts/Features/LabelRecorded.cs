namespace Mlops.Contracts.Features;

/// <summary>
/// An outcome became known (Kafka <c>labels.v1</c>, keyed by entity id), e.g. "deteriorated within 24 h: yes".
/// Labels arrive late by nature; <see cref="EventTime"/> is when the outcome applies, not when it was recorded.
/// </summary>
[EventType("mlops.features.label-recorded.v1")]
public sealed record LabelRecorded
{
    /// <summary>The sender's unique id for this label; a repeat is ignored.</summary>
    public required string LabelId { get; init; }

    /// <summary>Entity id.</summary>
    public required string EntityId { get; init; }

    /// <summary>Label name (e.g. <c>deterioration_24h</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Outcome value (1/0 for binary labels).</summary>
    public required double Value { get; init; }

    /// <summary>The time the prediction target refers to: training rows take features as known at this time.</summary>
    public required DateTimeOffset EventTime { get; init; }

    /// <summary>
    /// The prediction this outcome answers, when the sender knows it (<c>PredictionMade.PredictionId</c>); without it,
    /// monitoring applies the label to the entity's predictions within the model's horizon before <see cref="EventTime"/>.
    /// </summary>
    public string? PredictionId { get; init; }
}
