using System.Text.Json;

namespace Mlops.Cli.Core.Streaming;

/// <summary>
/// A <c>predictions.v1</c> record as a reader sees it: the envelope's trace context and the prediction. Read from the
/// JSON tree, so members a newer contract adds (<c>predictionId</c>, <c>variant</c>) are picked up when present.
/// </summary>
public sealed record PredictionEvent(
    string EventId,
    string EntityId,
    string? TraceParent,
    string? PredictionId,
    string ModelName,
    string ModelVersion,
    string? Variant,
    double Probability,
    double Uncertainty,
    bool Fallback,
    string? TriggeringObservationId,
    DateTimeOffset? PredictedAt,
    string? FeatureEventId = null)
{
    /// <summary>Scored from a feature event on the stream; a request's prediction (REST, gRPC) names none.</summary>
    public bool Streamed => FeatureEventId is not null;

    /// <summary>The trace id of <see cref="TraceParent"/> (<c>00-{trace}-{span}-{flags}</c>), if any.</summary>
    public string? TraceId => TraceParent?.Split('-') is { Length: 4 } parts ? parts[1] : null;

    /// <summary>Parses a record value; null when it is not a prediction envelope.</summary>
    public static PredictionEvent? TryParse(ReadOnlySpan<byte> value)
    {
        try
        {
            using var document = JsonDocument.Parse(value.ToArray());
            var root = document.RootElement;
            if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return new PredictionEvent(
                String(root, "id") ?? "",
                String(data, "entityId") ?? String(root, "subject") ?? "",
                String(root, "traceparent") ?? String(root, "traceParent"),
                String(data, "predictionId"),
                String(data, "modelName") ?? "",
                String(data, "modelVersion") ?? "",
                String(data, "variant"),
                Number(data, "probability"),
                Number(data, "uncertainty"),
                data.TryGetProperty("fallback", out var f) && f.ValueKind == JsonValueKind.True,
                String(data, "triggeringObservationId"),
                data.TryGetProperty("predictedAt", out var at) && at.TryGetDateTimeOffset(out var when) ? when : null,
                String(data, "featureEventId"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    static double Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;
}
