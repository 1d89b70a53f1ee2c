using System.Runtime.InteropServices;
using System.Text.Json;
using Mlops.Contracts.Ingestion;
using Mlops.Contracts.Kafka;
using Mlops.Ingestion.Validation;
using Mlops.Kafka.Consuming;

namespace Mlops.Ingestion.Intake;

/// <summary>
/// Kafka intake from <c>observations.raw.v1</c>: valid records are stored like HTTP ones (a redelivered record is
/// a duplicate, not a second row); every invalid one — a bad member, or a value that is not even an envelope — goes
/// to <c>observations.rejected.v1</c> with each reason naming its field, as the HTTP intake would answer it.
/// </summary>
/// <remarks>
/// The payload is read as JSON first and as an observation second (the same reader as HTTP), so a member of the wrong
/// type is a field error on the rejected topic rather than an unreadable envelope on the platform's dead-letter topic.
/// </remarks>
public sealed class RawObservationHandler(ObservationIntake intake, RejectedObservationPublisher rejections) : IKafkaEventHandler<JsonElement>
{
    /// <inheritdoc />
    public async Task HandleAsync(EventEnvelope<JsonElement> envelope, KafkaMessageContext context, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var raw = RawObservationReader.TryRead(envelope.Data, errors);
        var result = (await intake.IngestAsync([raw], [errors], cancellationToken))[0];
        if (result.Status != IntakeStatus.Rejected)
        {
            return;
        }

        // The observation is the envelope's data: a problem with it as a whole is a problem with 'data'.
        var named = result.Errors.Select(e => e.Field == "$" ? e with { Field = "data" } : e).ToList();
        // The raw bytes, not GetRawText(): a value with invalid UTF-8 cannot be transcoded and is echoed as base64 instead.
        var original = RejectedObservationPublisher.Decode(JsonMarshal.GetRawUtf8Value(envelope.Data).ToArray());
        await rejections.PublishAsync(raw, named, original, context.Key ?? envelope.Id, cancellationToken);
    }

    /// <summary>A record that is not a readable envelope: refused on the rejected topic with the JSON path and position.</summary>
    public static Task RejectUnreadableAsync(IServiceProvider services, InvalidKafkaRecord record, CancellationToken cancellationToken)
    {
        var json = FindJsonException(record.Problem);
        var field = json?.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "$";
        if (field == "$" && MissingMember(record.Problem.Message) is { } missing)
        {
            field = missing;
        }

        var error = new FieldError(field, record.Problem.Message);
        var original = record.Value is null ? "" : RejectedObservationPublisher.Decode(record.Value);
        return services.GetRequiredService<RejectedObservationPublisher>()
            .PublishAsync(null, [error], original, record.Context.Key ?? $"{record.Context.Topic}-{record.Context.Partition}", cancellationToken);
    }

    // The envelope's own checks ("envelope 'id' is empty", "envelope has no 'data'") name the member in quotes.
    static string? MissingMember(string message)
    {
        var start = message.IndexOf('\'', StringComparison.Ordinal);
        var end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
        return end > start + 1 && message.StartsWith("envelope", StringComparison.Ordinal) ? message[(start + 1)..end] : null;
    }

    static JsonException? FindJsonException(Exception exception)
    {
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is JsonException json)
            {
                return json;
            }
        }

        return null;
    }
}
