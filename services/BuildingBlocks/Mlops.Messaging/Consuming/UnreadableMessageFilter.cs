using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MassTransit;

namespace Mlops.Messaging.Consuming;

/// <summary>
/// When MassTransit cannot read a message body as its type, it faults with the reader's bare words ("Cannot get the
/// value of a token type 'Number' as a string") and no member name, and retries what can never succeed. This filter
/// re-reads the body to find the member and position, and rethrows an <see cref="UnreadableMessageException"/> naming
/// them — the reason the message carries to the <c>_error</c> queue (<c>MT-Fault-Message</c>) — which is not retried.
/// A body that reads fine means the failure was the consumer's own: it is rethrown untouched.
/// </summary>
public sealed class UnreadableMessageFilter : IFilter<ConsumeContext>
{
    // As lenient as MassTransit's own reader (case, trailing commas, comments), so only what it cannot read is described.
    static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };
    static readonly ConcurrentDictionary<string, Type?> Types = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        try
        {
            await next.Send(context);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && Describe(context) is { } reason)
        {
            // No inner exception: MassTransit's fault headers report the innermost one, which is the bare reader error.
            throw new UnreadableMessageException($"{reason} [{ex.GetType().Name}: {ex.Message}]");
        }
    }

    /// <inheritdoc />
    public void Probe(ProbeContext context) => context.CreateFilterScope("unreadableMessage");

    /// <summary>What is wrong with the body, naming the member and position; null when it reads as its type.</summary>
    public static string? Describe(ConsumeContext context)
    {
        var body = context.ReceiveContext.Body.GetBytes();
        foreach (var urn in context.SupportedMessageTypes)
        {
            if (TypeOf(urn) is not { } type)
            {
                continue;
            }

            // Read as an envelope holding the type, so the serializer tracks the path down into 'message'.
            try
            {
                var envelope = (IEnvelope?)JsonSerializer.Deserialize(body, typeof(Envelope<>).MakeGenericType(type), Strict);
                if (envelope?.Body is null)
                {
                    return $"the envelope has no 'message' member holding the {type.Name}";
                }
            }
            catch (JsonException ex)
            {
                return $"{type.Name} could not be read: {Reason(ex)}{Position(ex)}";
            }
            catch (InvalidOperationException ex)
            {
                return $"{type.Name} could not be read: {ex.Message}";
            }
        }

        return null;
    }

    interface IEnvelope
    {
        object? Body { get; }
    }

    sealed class Envelope<T> : IEnvelope
    {
        public T? Message { get; set; }

        object? IEnvelope.Body => Message;
    }

    // urn:message:Namespace:TypeName, as MassTransit names a message type.
    static Type? TypeOf(string urn) => Types.GetOrAdd(urn, static u =>
    {
        var parts = u.Split(':');
        if (parts.Length != 4 || parts[0] != "urn" || parts[1] != "message")
        {
            return null;
        }

        var fullName = parts[2] + "." + parts[3];
        return AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(fullName, throwOnError: false)).FirstOrDefault(t => t is not null);
    });

    static string Reason(JsonException ex)
    {
        var cut = ex.Message.IndexOf(" Path: ", StringComparison.Ordinal);
        return (cut < 0 ? ex.Message : ex.Message[..cut]).TrimEnd();
    }

    static string Position(JsonException ex) =>
        ex.Path is null && ex.LineNumber is null
            ? ""
            : string.Create(CultureInfo.InvariantCulture, $" (at JSON path {ex.Path ?? "$"}, line {(ex.LineNumber ?? 0) + 1}, byte {ex.BytePositionInLine ?? 0})");
}

/// <summary>A message whose body cannot be read as its type; the message names the member and position. Never retried.</summary>
public sealed class UnreadableMessageException(string message) : Exception(message);
