using System.Text;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Ingestion;
using Mlops.Ingestion.Schemas;
using Mlops.Kafka.Producing;

namespace Mlops.Ingestion.Intake;

/// <summary>
/// Writes refusals of Kafka records to <c>observations.rejected.v1</c>. Echoed text is bounded: a refused record of
/// nearly the broker's size limit (a megabyte id, say) echoed in full would make the refusal itself too large to
/// publish, and the intake would retry it forever.
/// </summary>
public sealed class RejectedObservationPublisher(IEventProducer producer, IOptions<IngestionOptions> options, TimeProvider clock)
{
    /// <summary>Most characters of the original record kept in a refusal.</summary>
    public const int MaxOriginalChars = 64 * 1024;

    /// <summary>Most characters of an echoed id kept in a refusal.</summary>
    public const int MaxEchoedIdChars = 200;

    /// <summary>Publishes the refusal of one record under the refused record's own key, so its sender can match them.</summary>
    public async Task PublishAsync(RawObservation? raw, IReadOnlyList<FieldError> errors, string original, string key, CancellationToken cancellationToken)
    {
        var rejected = new ObservationRejected
        {
            ObservationId = Bounded(raw?.ObservationId, MaxEchoedIdChars),
            EntityId = Bounded(raw?.EntityId, MaxEchoedIdChars),
            SourceSystem = Bounded(raw?.SourceSystem, MaxEchoedIdChars),
            Errors = errors.Select(e => e with { Message = Bounded(e.Message, 1024)! }).ToList(),
            Original = Bounded(original, MaxOriginalChars)!,
            RejectedAt = clock.GetUtcNow(),
        };
        await producer.ProduceAsync(options.Value.RejectedTopic, Bounded(key, MaxEchoedIdChars)!, rejected, cancellationToken);
    }

    /// <summary>A record value as text: UTF-8 if it is valid UTF-8, else base64 (marked so).</summary>
    public static string Decode(byte[] value)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value);
        }
        catch (DecoderFallbackException)
        {
            return "base64:" + Convert.ToBase64String(value);
        }
    }

    static string? Bounded(string? text, int max) =>
        text is null || text.Length <= max ? text : string.Concat(text.AsSpan(0, max), $"… ({text.Length - max} more characters)");
}
