using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Mlops.Contracts;
using Mlops.Contracts.Kafka;

namespace Mlops.Kafka;

/// <summary>JSON (de)serialisation of <see cref="EventEnvelope{T}"/> record values.</summary>
public static class EnvelopeSerializer
{
    /// <summary>
    /// camelCase payloads, enums as strings, and strictness about required members. A number written as a JSON string
    /// (<c>"88"</c>) is read as that number, as at every HTTP intake (docs/reliability.md, "Bad-input corpora"); numbers
    /// are always written as numbers.
    /// </summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    /// <summary>Serialises an envelope to UTF-8 JSON.</summary>
    public static byte[] Serialize<T>(EventEnvelope<T> envelope) => JsonSerializer.SerializeToUtf8Bytes(envelope, Options);

    /// <summary>
    /// Parses a record value. Throws <see cref="InvalidEnvelopeException"/> naming what is wrong when the
    /// value is not a well-formed envelope with a payload of <typeparamref name="T"/>.
    /// </summary>
    public static EventEnvelope<T> Deserialize<T>(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            throw new InvalidEnvelopeException("record value is empty");
        }

        EventEnvelope<T>? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize<EventEnvelope<T>>(value, Options);
        }
        catch (JsonException ex)
        {
            var where = ex.Path is null ? "" : $" at {ex.Path}";
            throw new InvalidEnvelopeException($"record value is not a valid {typeof(T).Name} event envelope{where}: {ex.Message}", ex);
        }

        if (envelope is null)
        {
            throw new InvalidEnvelopeException("record value is JSON null");
        }

        if (envelope.Data is null)
        {
            throw new InvalidEnvelopeException("envelope has no 'data'");
        }

        if (string.IsNullOrWhiteSpace(envelope.Id))
        {
            throw new InvalidEnvelopeException("envelope 'id' is empty");
        }

        return envelope;
    }

    /// <summary>The wire type name of a payload: its <see cref="EventTypeAttribute"/>, else its full CLR name.</summary>
    public static string EventTypeOf(Type payloadType) =>
        payloadType.GetCustomAttribute<EventTypeAttribute>()?.Name ?? payloadType.FullName ?? payloadType.Name;
}

/// <summary>A record value that cannot be read as an event envelope. Never retried: it goes to the dead-letter topic.</summary>
public sealed class InvalidEnvelopeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InvalidEnvelopeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public InvalidEnvelopeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
