using Mlops.Contracts;

namespace Mlops.Kafka.CrashingConsumer;

/// <summary>A movement on an account; summing them detects any event applied twice or not at all.</summary>
[EventType("mlops.tests.ledger-entry.v1")]
public sealed record LedgerEntry
{
    /// <summary>Test run the entry belongs to.</summary>
    public required string RunId { get; init; }

    /// <summary>Account (the record key).</summary>
    public required string Account { get; init; }

    /// <summary>Position in the produced sequence.</summary>
    public required int Sequence { get; init; }

    /// <summary>Amount added to the run's total.</summary>
    public required long Amount { get; init; }
}
