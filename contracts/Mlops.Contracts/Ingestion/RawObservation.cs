using System.Text.Json;

namespace Mlops.Contracts.Ingestion;

/// <summary>
/// An observation as an upstream system sends it (HTTP body, or Kafka <c>observations.raw.v1</c>), before
/// validation. Every member is optional here so that a bad record can be answered field by field.
/// </summary>
[EventType("mlops.ingestion.raw-observation.v1")]
public sealed record RawObservation
{
    /// <summary>The sender's unique id for the observation; a repeat is acknowledged, not stored twice.</summary>
    public string? ObservationId { get; init; }

    /// <summary>Entity the observation is about (e.g. the patient id).</summary>
    public string? EntityId { get; init; }

    /// <summary>Observation code from the schema catalogue (e.g. <c>heart_rate</c>).</summary>
    public string? Code { get; init; }

    /// <summary>A number, or a category for categorical codes (e.g. consciousness level <c>"V"</c>).</summary>
    public JsonElement? Value { get; init; }

    /// <summary>Unit of <see cref="Value"/> (UCUM-style code, e.g. <c>[degF]</c>); converted to the schema's unit.</summary>
    public string? Unit { get; init; }

    /// <summary>When the observation was made.</summary>
    public DateTimeOffset? EventTime { get; init; }

    /// <summary>
    /// When the source made the value available (e.g. a lab result issued hours after the sample was drawn); at or
    /// after <see cref="EventTime"/>. Point-in-time training treats the value as known from then; without it, from
    /// the time ingestion recorded it. Lets history loaded today train without leaking late values.
    /// </summary>
    public DateTimeOffset? AvailableTime { get; init; }

    /// <summary>The system that sent it.</summary>
    public string? SourceSystem { get; init; }
}
