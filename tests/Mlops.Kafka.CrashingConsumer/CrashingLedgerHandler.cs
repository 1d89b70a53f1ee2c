using System.Diagnostics;
using Mlops.Contracts.Kafka;
using Mlops.Kafka.Consuming;

namespace Mlops.Kafka.CrashingConsumer;

/// <summary>
/// Applies entries through <see cref="LedgerHandler"/> and, after the N-th one, kills its own process with
/// SIGKILL: the effects of the last entries are committed in PostgreSQL but their offsets are not committed
/// in Kafka — the state a crash mid-batch leaves behind.
/// </summary>
public sealed class CrashingLedgerHandler(LedgerHandler inner, CrashSwitch crash) : IKafkaEventHandler<LedgerEntry>
{
    /// <inheritdoc />
    public async Task HandleAsync(EventEnvelope<LedgerEntry> envelope, KafkaMessageContext context, CancellationToken cancellationToken)
    {
        await inner.HandleAsync(envelope, context, cancellationToken);
        if (crash.CountAndShouldDie())
        {
            Process.GetCurrentProcess().Kill();
        }
    }
}

/// <summary>Counts handled entries and says when to die.</summary>
public sealed class CrashSwitch(int killAfter)
{
    int _handled;

    /// <summary>True exactly when the configured number of entries has been handled.</summary>
    public bool CountAndShouldDie() => Interlocked.Increment(ref _handled) == killAfter && killAfter > 0;
}
