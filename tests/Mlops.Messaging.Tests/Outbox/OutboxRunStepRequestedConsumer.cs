using MassTransit;
using Mlops.Messaging.CrashingSaga;

namespace Mlops.Messaging.Tests.Outbox;

/// <summary>A downstream consumer that deduplicates on MessageId, as the platform's consumers of saga messages do.</summary>
public sealed class OutboxRunStepRequestedConsumer(DeliveryLedger ledger) : IConsumer<OutboxRunStepRequested>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<OutboxRunStepRequested> context)
    {
        var messageId = context.MessageId ?? throw new InvalidOperationException("A saga outbox message arrived without a MessageId.");
        ledger.Receive(messageId, context.Message);
        return Task.CompletedTask;
    }
}
