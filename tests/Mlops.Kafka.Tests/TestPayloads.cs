using Mlops.Contracts;
using Mlops.Contracts.Kafka;
using Mlops.Kafka.Consuming;

namespace Mlops.Kafka.Tests;

/// <summary>A small observation-like payload.</summary>
[EventType("mlops.tests.reading.v1")]
public sealed record Reading
{
    /// <summary>Entity id.</summary>
    public required string Patient { get; init; }

    /// <summary>Order within the patient.</summary>
    public required int Sequence { get; init; }

    /// <summary>A measured value; negative values make <see cref="PickyReadingHandler"/> fail, zero makes it reject.</summary>
    public required double Value { get; init; }
}

/// <summary>Records every reading.</summary>
public sealed class RecordingReadingHandler(EventSink<Reading> sink) : IKafkaEventHandler<Reading>
{
    /// <inheritdoc />
    public Task HandleAsync(EventEnvelope<Reading> envelope, KafkaMessageContext context, CancellationToken cancellationToken)
    {
        sink.Add(envelope, context);
        return Task.CompletedTask;
    }
}

/// <summary>Fails on negative values (a transient-looking error that never clears), rejects zero outright.</summary>
public sealed class PickyReadingHandler(EventSink<Reading> sink) : IKafkaEventHandler<Reading>
{
    /// <inheritdoc />
    public Task HandleAsync(EventEnvelope<Reading> envelope, KafkaMessageContext context, CancellationToken cancellationToken)
    {
        if (envelope.Data.Value < 0)
        {
            throw new InvalidOperationException($"value {envelope.Data.Value} must not be negative");
        }

        if (envelope.Data.Value == 0)
        {
            throw new RejectEventException("value 0 is not a plausible reading");
        }

        sink.Add(envelope, context);
        return Task.CompletedTask;
    }
}
