using Microsoft.Extensions.Options;
using Mlops.Inference.Telemetry;
using Mlops.ServiceDefaults;

namespace Mlops.Inference.Lineage;

/// <summary>
/// Deletes predictions older than <see cref="PredictionLogOptions.Retention"/> every
/// <see cref="PredictionLogOptions.PurgeInterval"/>, in bounded chunks so a large backlog never holds one long
/// transaction. Every replica may run it; the deletes are idempotent.
/// </summary>
public sealed class PredictionLogPurger(PredictionLogDatabase database, IOptions<PredictionLogOptions> options, TimeProvider clock, ILogger<PredictionLogPurger> logger)
    : BackgroundService
{
    const string PurgeSql = """
        DELETE FROM prediction_log WHERE prediction_id IN (
            SELECT prediction_id FROM prediction_log WHERE predicted_at < $1 LIMIT $2)
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PurgeAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database away: the next round tries again; nothing is lost by purging late.
                logger.LogWarning("Prediction log purge failed ({Reason}); next attempt in {Interval}", ex.Message, options.Value.PurgeInterval);
            }

            await Task.Delay(options.Value.PurgeInterval, clock, stoppingToken);
        }
    }

    /// <summary>Deletes every prediction older than the retention; returns how many.</summary>
    public async Task<long> PurgeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var total = await ChunkedDelete.OlderThanAsync(connection, PurgeSql, clock.GetUtcNow() - options.Value.Retention, cancellationToken);
        InferenceTelemetry.PredictionLogPurged.Add(total);
        return total;
    }
}
