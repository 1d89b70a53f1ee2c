using Mlops.Contracts.Kafka;

namespace Mlops.Kafka.Consuming;

/// <summary>One record handed to a batch handler.</summary>
/// <param name="Envelope">The parsed envelope.</param>
/// <param name="Context">Where it came from.</param>
public sealed record KafkaRecord<T>(EventEnvelope<T> Envelope, KafkaMessageContext Context);

/// <summary>
/// Handles the records a consumer poll returned together, in partition order, so a handler can apply them in one
/// transaction. If a batch keeps failing, the host retries its records one by one, so one poison record is
/// dead-lettered alone and the others still go through.
/// </summary>
public interface IKafkaBatchEventHandler<T>
{
    /// <summary>Handles the records; throwing fails (and retries) the whole batch.</summary>
    Task HandleBatchAsync(IReadOnlyList<KafkaRecord<T>> records, CancellationToken cancellationToken);
}

/// <summary>Runs a per-record handler under the batch host (batches of one).</summary>
public sealed class SingleEventBatchAdapter<T, THandler>(THandler handler) : IKafkaBatchEventHandler<T>
    where THandler : IKafkaEventHandler<T>
{
    /// <inheritdoc />
    public async Task HandleBatchAsync(IReadOnlyList<KafkaRecord<T>> records, CancellationToken cancellationToken)
    {
        foreach (var record in records)
        {
            await handler.HandleAsync(record.Envelope, record.Context, cancellationToken);
        }
    }
}
