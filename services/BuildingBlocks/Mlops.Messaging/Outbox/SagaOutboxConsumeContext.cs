using System.Diagnostics;
using MassTransit;
using MassTransit.Context;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;

namespace Mlops.Messaging.Outbox;

/// <summary>
/// The consume context a saga sees while the durable outbox is on. MassTransit's <see cref="OutboxConsumeContextProxy{TMessage}"/>
/// swaps the send and publish endpoint providers for ones that build each message's send context (serialised body,
/// headers, destination) and hand it to <see cref="AddSend{T}"/> instead of the broker. Here that only captures the
/// message; the saga repository writes the captured messages into <c>saga_outbox</c> in the transaction that saves the
/// saga, and <see cref="SagaOutboxRelay"/> delivers them once that transaction has committed.
/// </summary>
/// <remarks>
/// Inbox and delivery bookkeeping (the abstract members MassTransit's own outbox pipe uses) is not needed: the repository
/// keeps the inbox in <c>saga_inbox</c> and the relay delivers, so those members report "not consumed, nothing to deliver".
/// </remarks>
public sealed class SagaOutboxConsumeContext<TMessage> : OutboxConsumeContextProxy<TMessage>
    where TMessage : class
{
    readonly List<SagaOutboxMessage> _messages = [];
    readonly Lock _lock = new();

    /// <summary>Wraps the context of the message being handled.</summary>
    public SagaOutboxConsumeContext(ConsumeContext<TMessage> context, OutboxConsumeOptions options, IServiceProvider provider)
        : base(context, options, provider)
    {
    }

    /// <summary>The messages captured so far, in the order the saga produced them.</summary>
    public IReadOnlyList<SagaOutboxMessage> Messages
    {
        get
        {
            lock (_lock)
            {
                return [.. _messages];
            }
        }
    }

    /// <inheritdoc />
    public override bool ContinueProcessing { get; set; } = true;

    /// <inheritdoc />
    public override bool IsMessageConsumed => false;

    /// <inheritdoc />
    public override bool IsOutboxDelivered => false;

    /// <inheritdoc />
    public override int ReceiveCount => 0;

    /// <inheritdoc />
    public override long? LastSequenceNumber => null;

    /// <inheritdoc />
    public override Task SetConsumed() => Task.CompletedTask;

    /// <inheritdoc />
    public override Task SetDelivered() => Task.CompletedTask;

    /// <inheritdoc />
    public override Task<List<OutboxMessageContext>> LoadOutboxMessages() => Task.FromResult(new List<OutboxMessageContext>());

    /// <inheritdoc />
    public override Task NotifyOutboxMessageDelivered(OutboxMessageContext message) => Task.CompletedTask;

    /// <inheritdoc />
    public override Task RemoveOutboxMessages() => Task.CompletedTask;

    /// <inheritdoc />
    public override Task AddSend<T>(SendContext<T> context)
    {
        if (context.MessageId is not { } messageId)
        {
            throw new MessageException(typeof(T), "A message sent from a saga through the outbox needs a MessageId.");
        }

        if (context.DestinationAddress is null)
        {
            throw new MessageException(typeof(T), "A message sent from a saga through the outbox needs a destination address.");
        }

        if (context.Delay is not null)
        {
            // The relay delivers as soon as the transaction commits; a delay would be silently lost.
            throw new MessageException(typeof(T), "Delayed or scheduled sends are not supported by the saga outbox.");
        }

        var now = DateTime.UtcNow;
        var message = new SagaOutboxMessage
        {
            MessageId = messageId,
            ConversationId = context.ConversationId,
            CorrelationId = context.CorrelationId,
            InitiatorId = context.InitiatorId,
            RequestId = context.RequestId,
            SourceAddress = context.SourceAddress,
            DestinationAddress = context.DestinationAddress,
            ResponseAddress = context.ResponseAddress,
            FaultAddress = context.FaultAddress,
            SentTime = context.SentTime ?? now,
            ExpirationTime = context.TimeToLive is { } ttl ? now + ttl : null,
            ContentType = context.ContentType?.ToString() ?? context.Serialization.DefaultContentType.ToString(),
            MessageType = string.Join(";", context.SupportedMessageTypes),
            Body = context.Serializer.GetMessageBody(context).GetString(),
            HeadersJson = SerializerContext.SerializeDictionary(context.Headers.GetAll()),
            TraceParent = Activity.Current?.Id,
        };

        if (context is TransportSendContext<T> transport)
        {
            var properties = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
            transport.WritePropertiesTo(properties);
            message.PropertiesJson = SerializerContext.SerializeDictionary(properties);
        }

        lock (_lock)
        {
            _messages.Add(message);
        }

        return Task.CompletedTask;
    }
}
