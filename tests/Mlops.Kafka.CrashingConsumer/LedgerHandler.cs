using Mlops.Contracts.Kafka;
using Mlops.Kafka.Consuming;
using Mlops.Kafka.Idempotency;
using Npgsql;

namespace Mlops.Kafka.CrashingConsumer;

/// <summary>
/// Adds each entry to its run's total, at most once per event id. <c>ledger_applied.times</c> would exceed 1
/// if the inbox ever let an event through twice; <c>ledger_duplicates</c> shows redeliveries did happen.
/// </summary>
public sealed class LedgerHandler(KafkaInbox inbox, NpgsqlDataSource dataSource) : IdempotentEventHandler<LedgerEntry>(inbox)
{
    const string AddToTotalSql = "UPDATE ledger_totals SET total = total + $2, applied = applied + 1 WHERE run_id = $1";

    const string CountApplicationSql = """
        INSERT INTO ledger_applied (run_id, event_id, times) VALUES ($1, $2, 1)
        ON CONFLICT (run_id, event_id) DO UPDATE SET times = ledger_applied.times + 1
        """;

    /// <inheritdoc />
    protected override async Task ApplyAsync(
        EventEnvelope<LedgerEntry> envelope, KafkaMessageContext context, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(AddToTotalSql) { Parameters = { new() { Value = envelope.Data.RunId }, new() { Value = envelope.Data.Amount } } },
                new NpgsqlBatchCommand(CountApplicationSql) { Parameters = { new() { Value = envelope.Data.RunId }, new() { Value = envelope.Id } } },
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task OnDuplicateAsync(EventEnvelope<LedgerEntry> envelope, KafkaMessageContext context, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("INSERT INTO ledger_duplicates (run_id, event_id) VALUES ($1, $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = envelope.Data.RunId });
        command.Parameters.Add(new NpgsqlParameter { Value = envelope.Id });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
