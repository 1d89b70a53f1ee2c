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

        if (InvalidUtf8Member(element) is { } member)
        {
            errors.Add(new(member, $"{member} is not valid UTF-8 text (bytes that no Unicode character encodes, e.g. a lone surrogate)"));
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
        catch (InvalidOperationException ex)
        {
            // A member name that is not valid UTF-8 (values are checked above).
            errors.Add(new("$", $"the observation could not be read: {FirstSentence(ex.Message)}"));
            return null;
        }
    }

    // Raw bytes from Kafka are not checked for UTF-8 until a string is read; reading it then throws without a path.
    static string? InvalidUtf8Member(JsonElement element)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            try
            {
                _ = property.Value.GetString();
            }
            catch (InvalidOperationException)
            {
                return property.Name;
            }
        }

        return null;
    }

    static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }
}
