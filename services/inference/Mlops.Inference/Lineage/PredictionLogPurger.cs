using Microsoft.Extensions.Options;
using Mlops.Inference.Telemetry;
using Mlops.ServiceDefaults;
using Mlops.ServiceDefaults.Background;

namespace Mlops.Inference.Lineage;

/// <summary>
/// Deletes predictions older than <see cref="PredictionLogOptions.Retention"/> every
/// <see cref="PredictionLogOptions.PurgeInterval"/>, in bounded chunks so a large backlog never holds one long
/// transaction. Every replica may run it; the deletes are idempotent.
/// </summary>
public sealed class PredictionLogPurger(PredictionLogDatabase database, IOptions<PredictionLogOptions> options, TimeProvider clock, ILogger<PredictionLogPurger> logger)
    : PeriodicRound(logger, clock)
{
    const string PurgeSql = """
        DELETE FROM prediction_log WHERE prediction_id IN (
            SELECT prediction_id FROM prediction_log WHERE predicted_at < $1 LIMIT $2)
        """;

    protected override TimeSpan Interval => options.Value.PurgeInterval;

    protected override string Work => "Prediction log purge";

    // The database away skips a round: nothing is lost by purging late.
    public override Task RunOnceAsync(CancellationToken ct) => PurgeAsync(ct);

    /// <summary>Deletes every prediction older than the retention; returns how many.</summary>
    public async Task<long> PurgeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var total = await ChunkedDelete.OlderThanAsync(connection, PurgeSql, Clock.GetUtcNow() - options.Value.Retention, cancellationToken);
        InferenceTelemetry.PredictionLogPurged.Add(total);
        return total;
    }
}
