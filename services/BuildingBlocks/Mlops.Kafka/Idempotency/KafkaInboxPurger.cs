using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mlops.ServiceDefaults.Background;

namespace Mlops.Kafka.Idempotency;

/// <summary>
/// Keeps <c>kafka_inbox</c> to <see cref="KafkaInboxOptions.Retention"/>: without it the table grows by one row per
/// applied record for as long as the service runs (1.9 million rows, 480 MB in a day of tests). It starts only once
/// this process has used the inbox, so a service that never consumes idempotently touches no table. Every replica may
/// run it; the deletes are idempotent.
/// </summary>
public sealed class KafkaInboxPurger(KafkaInboxUse use, IOptions<KafkaInboxOptions> options, TimeProvider clock, ILogger<KafkaInboxPurger> logger)
    : PeriodicRound(logger, clock)
{
    readonly ILogger _logger = logger;

    /// <inheritdoc />
    protected override TimeSpan Interval => options.Value.PurgeInterval;

    /// <inheritdoc />
    protected override string Work => "Kafka inbox purge";

    /// <summary>
    /// One purge; the first waits for the inbox's first use. The database away skips a round: forgetting late loses
    /// nothing.
    /// </summary>
    public override async Task RunOnceAsync(CancellationToken ct)
    {
        var inbox = await use.FirstUse.WaitAsync(ct);
        var purged = await inbox.PurgeAsync(Clock.GetUtcNow() - options.Value.Retention, ct);
        if (purged > 0)
        {
            _logger.LogInformation("Kafka inbox: {Count} event ids older than {Retention} forgotten", purged, options.Value.Retention);
        }
    }
}
