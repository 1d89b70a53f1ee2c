using System.Text.Json;
using MassTransit;
using Mlops.Contracts.Monitoring;
using Npgsql;

namespace Mlops.Monitoring.Alerts;

/// <summary>
/// Publishes the drift alerts the evaluator queued in the database (its outbox): each is sent, then marked; one that
/// fails to send stays queued for the next round. At least once — consumers deduplicate on <see cref="DriftDetected.AlertId"/>.
/// </summary>
public sealed class DriftAlertPublisher(IBus bus, TimeProvider clock, ILogger<DriftAlertPublisher> logger)
{
    public async Task PublishPendingAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var pending = new List<(Guid Id, DriftDetected Message)>();
        await using (var select = new NpgsqlCommand(
            "SELECT alert_id, message::text FROM drift_alerts WHERE published_at IS NULL ORDER BY detected_at LIMIT 100", connection))
        await using (var reader = await select.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                pending.Add((reader.GetGuid(0), JsonSerializer.Deserialize<DriftDetected>(reader.GetString(1), JsonSerializerOptions.Web)!));
            }
        }

        foreach (var (id, message) in pending)
        {
            await bus.Publish(message, ct);
            await using var mark = new NpgsqlCommand("UPDATE drift_alerts SET published_at = $2 WHERE alert_id = $1", connection);
            mark.Parameters.Add(new() { Value = id });
            mark.Parameters.Add(new() { Value = clock.GetUtcNow() });
            await mark.ExecuteNonQueryAsync(ct);
            MonitoringTelemetry.AlertsPublished.Add(1, new KeyValuePair<string, object?>("model", message.ModelName));
            logger.LogWarning(
                "Drift: {Model} {Version} ({Variant}) window {Window}: {Features}",
                message.ModelName, message.ModelVersion, message.Variant, message.WindowId,
                string.Join(", ", message.Features.Select(f => $"{f.Feature} ({f.Method} {f.Score:G4} vs {f.Threshold})")));
        }
    }
}
