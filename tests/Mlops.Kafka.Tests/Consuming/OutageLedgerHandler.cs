using Mlops.Contracts.Kafka;
using Mlops.Kafka.Consuming;
using Mlops.Kafka.CrashingConsumer;

namespace Mlops.Kafka.Tests.Consuming;

/// <summary>The ledger handler, plus a deterministic bug: a negative amount throws before touching the database.</summary>
public sealed class OutageLedgerHandler(LedgerHandler inner) : IKafkaEventHandler<LedgerEntry>
{
    /// <inheritdoc />
    public Task HandleAsync(EventEnvelope<LedgerEntry> envelope, KafkaMessageContext context, CancellationToken cancellationToken) =>
        envelope.Data.Amount < 0
            ? throw new InvalidOperationException($"amount {envelope.Data.Amount} cannot be booked")
            : inner.HandleAsync(envelope, context, cancellationToken);
}
