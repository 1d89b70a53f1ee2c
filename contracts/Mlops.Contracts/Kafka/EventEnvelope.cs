using System.Text.Json.Serialization;

namespace Mlops.Contracts.Kafka;

/// <summary>
/// A Kafka record value in the shape of a CloudEvents 1.0 structured-mode event. The record key is
/// <see cref="Subject"/> (the entity id), so every event about one entity stays in order on one partition.
/// Trace context travels here rather than in record headers because the local broker (Kafka 0.9) has none.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
public sealed record EventEnvelope<T>
{
    /// <summary>Unique event id; consumers deduplicate on it.</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>The producing service, as a URI reference (e.g. <c>/services/ingestion</c>).</summary>
    [JsonPropertyName("source")]
    public required string Source { get; init; }

    /// <summary>The event type, versioned in its name (e.g. <c>mlops.observation.accepted.v1</c>).</summary>
    [JsonPropertyName("type")]
    public required string Type { get; init; }

    /// <summary>CloudEvents specification version.</summary>
    [JsonPropertyName("specversion")]
    public string SpecVersion { get; init; } = "1.0";

    /// <summary>When the event was produced (UTC).</summary>
    [JsonPropertyName("time")]
    public required DateTimeOffset Time { get; init; }

    /// <summary>The entity the event is about; also the Kafka record key.</summary>
    [JsonPropertyName("subject")]
    public required string Subject { get; init; }

    /// <summary>Identifies the schema (and its version) of <see cref="Data"/>.</summary>
    [JsonPropertyName("dataschema")]
    public string? DataSchema { get; init; }

    /// <summary>Always JSON for this platform.</summary>
    [JsonPropertyName("datacontenttype")]
    public string DataContentType { get; init; } = "application/json";

    /// <summary>W3C trace context of the producing span.</summary>
    [JsonPropertyName("traceparent")]
    public string? TraceParent { get; init; }

    /// <summary>W3C trace state, when the producer had one.</summary>
    [JsonPropertyName("tracestate")]
    public string? TraceState { get; init; }

    /// <summary>The payload.</summary>
    [JsonPropertyName("data")]
    public required T Data { get; init; }
}
