using MassTransit;
using MassTransit.Metadata;
using MassTransit.Middleware;
using MassTransit.Serialization;

namespace Mlops.Messaging.Outbox;

/// <summary>
/// One row of <c>saga_outbox</c>: a message a saga sent or published, already serialised by the transport's serializer
/// exactly as it would have gone to the broker. <see cref="MessageId"/> is the row's identity and the id the broker
/// message carries, so consumers can deduplicate a redelivery after a relay crash.
/// </summary>
public sealed class SagaOutboxMessage : OutboxMessageContext
{
    Headers? _headers;
    IReadOnlyDictionary<string, object>? _properties;

    /// <summary>Delivery order; assigned by the database on insert.</summary>
    public long SequenceNumber { get; set; }

    /// <inheritdoc />
    public Guid MessageId { get; set; }

    /// <summary>Saga type that produced the message.</summary>
    public string SagaType { get; set; } = "";

    /// <summary>Messages with the same key are delivered in <see cref="SequenceNumber"/> order: the saga instance that produced them.</summary>
    public Guid OrderKey { get; set; }

    /// <inheritdoc />
    public string ContentType { get; set; } = "";

    /// <inheritdoc />
    public string MessageType { get; set; } = "";

    /// <inheritdoc />
    public string Body { get; set; } = "";

    /// <summary>Headers as the serializer's JSON dictionary.</summary>
    public string? HeadersJson { get; set; }

    /// <summary>Transport properties (exchange type, persistence, …) as the serializer's JSON dictionary.</summary>
    public string? PropertiesJson { get; set; }

    /// <inheritdoc />
    public Guid? ConversationId { get; set; }

    /// <inheritdoc />
    public Guid? CorrelationId { get; set; }

    /// <inheritdoc />
    public Guid? InitiatorId { get; set; }

    /// <inheritdoc />
    public Guid? RequestId { get; set; }

    /// <inheritdoc />
    public Uri? SourceAddress { get; set; }

    /// <inheritdoc />
    public Uri? DestinationAddress { get; set; }

    /// <inheritdoc />
    public Uri? ResponseAddress { get; set; }

    /// <inheritdoc />
    public Uri? FaultAddress { get; set; }

    /// <inheritdoc />
    public DateTime? ExpirationTime { get; set; }

    /// <summary>When the saga produced it.</summary>
    public DateTime SentTime { get; set; }

    /// <summary>Failed delivery attempts so far (drives the message's own backoff).</summary>
    public int Attempts { get; set; }

    /// <summary>W3C trace context of the handling that produced it, so delivery continues the same trace.</summary>
    public string? TraceParent { get; set; }

    Guid? MessageContext.MessageId => MessageId;

    DateTime? MessageContext.SentTime => SentTime;

    Headers MessageContext.Headers => _headers ??= ReadHeaders();

    HostInfo MessageContext.Host => HostMetadataCache.Host;

    IReadOnlyDictionary<string, object> OutboxMessageContext.Properties =>
        _properties ??= SystemTextJsonMessageSerializer.Instance.DeserializeDictionary<object>(PropertiesJson) ?? new Dictionary<string, object>();

    Headers ReadHeaders()
    {
        var headers = SystemTextJsonMessageSerializer.Instance.DeserializeDictionary<object?>(HeadersJson);
        return headers is null ? EmptyHeaders.Instance : new DictionarySendHeaders(headers);
    }
}
