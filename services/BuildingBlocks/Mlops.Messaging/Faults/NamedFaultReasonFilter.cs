using System.Text.Json;
using MassTransit;

namespace Mlops.Messaging.Faults;

/// <summary>
/// MassTransit describes a message it moves to the <c>_error</c> queue by its innermost exception. When System.Text.Json
/// cannot read a body as the message type, that is the reader's own sentence ("Cannot get the value of a token type
/// 'Number' as a string.") without the member it was reading, and MassTransit's converters for dictionaries and
/// interfaces read values with a fresh reader whose path is only <c>$</c>. This filter reads the body's <c>message</c>
/// again as its declared type with plain System.Text.Json, whose exception carries the member's path
/// (<c>$.hyperparameters.rounds</c>), and puts that in the fault headers — so whoever inspects the error queue (an
/// operator, the bad-input corpus tests) is told which member is wrong. Faults of handlers are left as they are.
/// </summary>
public sealed class NamedFaultReasonFilter : IFilter<ExceptionReceiveContext>
{
    static readonly JsonSerializerOptions Plain = new(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        if (Unreadable(context.Exception) is { } json)
        {
            var named = Reread(context.Body.GetBytes()) ?? json;
            context.ExceptionHeaders.Set(MessageHeaders.FaultExceptionType, named.GetType().FullName);
            context.ExceptionHeaders.Set(MessageHeaders.FaultMessage, Describe(named));
        }
        else if (context.Exception.GetBaseException() is ArgumentNullException && LacksMessage(context.Body.GetBytes()))
        {
            // MassTransit's words for an envelope without a message are "Value cannot be null. (Parameter 'envelope')".
            context.ExceptionHeaders.Set(MessageHeaders.FaultMessage, "message: the envelope has no 'message' member");
        }

        return next.Send(context);
    }

    /// <inheritdoc />
    public void Probe(ProbeContext context) => context.CreateFilterScope("namedFaultReason");

    /// <summary>The outermost serializer exception of the fault, if the body could not be read as the message type.</summary>
    public static JsonException? Unreadable(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is JsonException json)
            {
                return json;
            }
        }

        return null;
    }

    /// <summary>
    /// The exception plain System.Text.Json raises reading the envelope's <c>message</c> as the first of its
    /// <c>messageType</c>s this process knows; null when the body is not such an envelope or reads without error.
    /// Only types already loaded are considered: a body never makes this process load anything.
    /// </summary>
    public static JsonException? Reread(byte[] body)
    {
        try
        {
            using var envelope = JsonDocument.Parse(body);
            if (envelope.RootElement.ValueKind != JsonValueKind.Object
                || !envelope.RootElement.TryGetProperty("message", out var message)
                || !envelope.RootElement.TryGetProperty("messageType", out var types)
                || types.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            foreach (var urn in types.EnumerateArray())
            {
                if (urn.ValueKind == JsonValueKind.String && LoadedType(urn.GetString()!) is { } type)
                {
                    try
                    {
                        message.Deserialize(type, Plain);
                        return null;
                    }
                    catch (JsonException ex)
                    {
                        return ex;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            // Not JSON, or not an envelope: MassTransit's own description (line and byte position) stands.
        }

        return null;
    }

    /// <summary>Whether the body is a JSON object without the envelope's <c>message</c> member.</summary>
    public static bool LacksMessage(byte[] body)
    {
        try
        {
            using var envelope = JsonDocument.Parse(body);
            return envelope.RootElement.ValueKind == JsonValueKind.Object && !envelope.RootElement.TryGetProperty("message", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // A member of the message itself has a path below $; a wrong message as a whole is the envelope's member "message".
    static string Describe(JsonException exception) =>
        exception.Path is null or "$" ? $"message: {exception.Message}" : exception.Message;

    // urn:message:Mlops.Contracts.Training:StartTrainingRun → Mlops.Contracts.Training.StartTrainingRun
    static Type? LoadedType(string urn)
    {
        const string Prefix = "urn:message:";
        if (!urn.StartsWith(Prefix, StringComparison.Ordinal) || urn.IndexOf('[', StringComparison.Ordinal) >= 0)
        {
            return null;
        }

        var name = urn[Prefix.Length..].Replace(':', '.');
        return AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => !a.IsDynamic)
            .Select(a => a.GetType(name, throwOnError: false))
            .FirstOrDefault(t => t is not null);
    }
}
