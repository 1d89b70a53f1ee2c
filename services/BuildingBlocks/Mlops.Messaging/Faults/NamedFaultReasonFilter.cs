using System.Text.Json;
using MassTransit;

namespace Mlops.Messaging.Faults;

/// <summary>
/// MassTransit describes a message it moves to the <c>_error</c> queue by its innermost exception. When System.Text.Json
/// cannot read a body as the message type, that is the reader's own sentence ("Cannot get the value of a token type
/// 'Number' as a string.") without the member it was reading; the serializer's <see cref="JsonException"/> around it
/// carries the path (<c>$.modelName</c>). This puts that exception in the fault headers, so whoever inspects the error
/// queue — an operator, the bad-input corpus tests — is told which member is wrong.
/// </summary>
public sealed class NamedFaultReasonFilter : IFilter<ExceptionReceiveContext>
{
    /// <inheritdoc />
    public Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        if (Unreadable(context.Exception) is { } json)
        {
            context.ExceptionHeaders.Set(MessageHeaders.FaultExceptionType, json.GetType().FullName);
            context.ExceptionHeaders.Set(MessageHeaders.FaultMessage, json.Message);
        }

        return next.Send(context);
    }

    /// <inheritdoc />
    public void Probe(ProbeContext context) => context.CreateFilterScope("namedFaultReason");

    /// <summary>The outermost serializer exception that names a member of the body, if the fault is one.</summary>
    public static JsonException? Unreadable(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is JsonException { Path: { Length: > 0 } })
            {
                return (JsonException)current;
            }
        }

        return null;
    }
}
