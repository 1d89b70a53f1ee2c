using System.Text.Json;
using Mlops.Contracts.Ingestion;
using Mlops.Kafka;

namespace Mlops.Ingestion.Validation;

/// <summary>
/// Reads one observation from JSON, turning a malformed member (e.g. an unparseable eventTime) into an error
/// naming that member, so one bad item never fails a whole batch.
/// </summary>
public static class RawObservationReader
{
    /// <summary>Parses; null with an error when the element is not a well-formed observation object.</summary>
    public static RawObservation? TryRead(JsonElement element, List<FieldError> errors)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("$", $"an observation must be a JSON object, got {element.ValueKind.ToString().ToLowerInvariant()}"));
            return null;
        }

        try
        {
            return element.Deserialize<RawObservation>(EnvelopeSerializer.Options);
        }
        catch (JsonException ex)
        {
            var field = ex.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "$";
            errors.Add(new(field, $"{field} could not be read: {FirstSentence(ex.Message)}"));
            return null;
        }
    }

    static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }
}
