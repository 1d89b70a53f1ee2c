using System.Collections.Concurrent;
using MassTransit;

namespace Mlops.Messaging.Tests.Outbox;

/// <summary>Records how each handling of one inbound MessageId ended, to know a redelivery has been dealt with.</summary>
internal sealed class InboundObserver(Guid messageId) : IReceiveObserver
{
    public ConcurrentQueue<string> ConsumedBy { get; } = new();

    public Task PreReceive(ReceiveContext context) => Task.CompletedTask;

    public Task PostReceive(ReceiveContext context) => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType)
        where T : class
    {
        if (context.MessageId == messageId)
        {
            ConsumedBy.Enqueue(consumerType);
        }

        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception)
        where T : class => Task.CompletedTask;

    public Task ReceiveFault(ReceiveContext context, Exception exception) => Task.CompletedTask;
}
