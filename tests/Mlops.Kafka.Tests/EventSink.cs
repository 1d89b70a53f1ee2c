using System.Collections.Concurrent;
using System.Diagnostics;
using Mlops.Contracts.Kafka;
using Mlops.Kafka.Consuming;

namespace Mlops.Kafka.Tests;

/// <summary>What a handler saw: the envelope, where it came from, and the span it ran in.</summary>
public sealed record Received<T>(EventEnvelope<T> Envelope, KafkaMessageContext Context, ActivityTraceId TraceId, ActivitySpanId ParentSpanId);

/// <summary>Collects what test handlers receive.</summary>
public sealed class EventSink<T>
{
    readonly ConcurrentQueue<Received<T>> _items = new();

    /// <summary>Everything received so far, in arrival order.</summary>
    public IReadOnlyList<Received<T>> Items => [.. _items];

    /// <summary>Records one event with the current span.</summary>
    public void Add(EventEnvelope<T> envelope, KafkaMessageContext context) =>
        _items.Enqueue(new Received<T>(envelope, context, Activity.Current?.TraceId ?? default, Activity.Current?.ParentSpanId ?? default));
}
