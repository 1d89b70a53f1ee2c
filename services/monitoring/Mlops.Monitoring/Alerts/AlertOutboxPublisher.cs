using System.Text.Json;
using MassTransit;
using Mlops.Contracts.Monitoring;
using Npgsql;

namespace Mlops.Monitoring.Alerts;

/// <summary>
/// Publishes the alerts queued in <c>monitoring_alerts</c> (their outbox) by event type: each is sent, then marked; one
/// that fails to send stays queued for the next round. At least once — consumers deduplicate on the alert id.
/// </summary>
/// <remarks>
/// The SLO and performance rounds both publish from this table under locks of their own, so they can run at once: each
/// claims its rows with <c>FOR UPDATE SKIP LOCKED</c> until they are marked, or both would send the same alert.
/// </remarks>
public sealed class AlertOutboxPublisher(IBus bus, TimeProvider clock, ILogger<AlertOutboxPublisher> logger)
{
    // The event types this table holds; a name not listed here is never deserialised.
    static readonly Dictionary<string, Type> EventTypes = new(StringComparer.Ordinal)
    {
        [nameof(PerformanceDegraded)] = typeof(PerformanceDegraded),
        [nameof(SloBreached)] = typeof(SloBreached),
        [nameof(SloCleared)] = typeof(SloCleared),
    };

    public async Task PublishPendingAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var pending = new List<(Guid Id, string Type, string Model, object Message)>();
        await using (var select = new NpgsqlCommand("""
            SELECT alert_id, event_type, model_name, message::text FROM monitoring_alerts
            WHERE published_at IS NULL ORDER BY detected_at LIMIT 100
            FOR UPDATE SKIP LOCKED
            """, connection, transaction))
        await using (var reader = await select.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                if (EventTypes.TryGetValue(reader.GetString(1), out var type))
                {
                    pending.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2), JsonSerializer.Deserialize(reader.GetString(3), type, JsonSerializerOptions.Web)!));
                }
            }
        }

        try
        {
            foreach (var (id, type, model, message) in pending)
            {
                await bus.Publish(message, EventTypes[type], ct);
                await using var mark = new NpgsqlCommand("UPDATE monitoring_alerts SET published_at = $2 WHERE alert_id = $1", connection, transaction);
                mark.Parameters.Add(new() { Value = id });
                mark.Parameters.Add(new() { Value = clock.GetUtcNow() });
                await mark.ExecuteNonQueryAsync(ct);
                MonitoringTelemetry.AlertsPublished.Add(1, new("model", model), new("type", type));
                logger.LogWarning("{Type} published for {Model}: {Alert}", type, model, id);
            }
        }
        catch
        {
            // The alerts sent before the failure stay marked; the rest are released for the next round.
            await KeepMarkedAsync(transaction);
            throw;
        }

        await transaction.CommitAsync(ct);
    }

    static async Task KeepMarkedAsync(NpgsqlTransaction transaction)
    {
        try
        {
            await transaction.CommitAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // The database failed too: nothing is marked, and the sent alerts go again (consumers deduplicate).
        }
    }
}
