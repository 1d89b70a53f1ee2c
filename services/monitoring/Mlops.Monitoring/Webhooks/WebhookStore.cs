using Mlops.Monitoring.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Mlops.Monitoring.Webhooks;

/// <summary>Webhook subscriptions, the deliveries owed to them and every attempt made.</summary>
public sealed class WebhookStore(MonitoringDatabase database, TimeProvider clock)
{
    /// <summary>A subscription as the API shows it: never its secret.</summary>
    public sealed record Subscription(Guid WebhookId, string Url, IReadOnlyList<string> EventTypes, DateTimeOffset CreatedAt);

    /// <summary>A delivery claimed for sending, with what is needed to send it.</summary>
    public sealed record DueDelivery(long DeliveryId, string Url, string Secret, Guid AlertId, string EventType, int Attempts, string Payload);

    /// <summary>One attempt's outcome.</summary>
    public sealed record Attempt(int Number, DateTimeOffset AttemptedAt, int? StatusCode, string? Error, double LatencyMs);

    /// <summary>A delivery and its attempts, for the API.</summary>
    public sealed record Delivery(
        long DeliveryId, Guid AlertId, string EventType, string Status, int Attempts, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt,
        DateTimeOffset? NextAttemptAt, IReadOnlyList<Attempt> History);

    public Task<NpgsqlConnection> OpenAsync(CancellationToken ct) => database.OpenConnectionAsync(ct);

    public async Task<Subscription> AddAsync(string url, string secret, string[] eventTypes, CancellationToken ct)
    {
        var subscription = new Subscription(Guid.CreateVersion7(), url, eventTypes, clock.GetUtcNow());
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            "INSERT INTO webhook_subscriptions (webhook_id, url, secret, event_types, created_at) VALUES ($1, $2, $3, $4, $5)", connection);
        command.Parameters.Add(new() { Value = subscription.WebhookId });
        command.Parameters.Add(new() { Value = url });
        command.Parameters.Add(new() { Value = secret });
        command.Parameters.Add(new() { Value = eventTypes });
        command.Parameters.Add(new() { Value = subscription.CreatedAt });
        await command.ExecuteNonQueryAsync(ct);
        return subscription;
    }

    public async Task<IReadOnlyList<Subscription>> ListAsync(Guid? webhookId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("""
            SELECT webhook_id, url, event_types, created_at FROM webhook_subscriptions
            WHERE deleted_at IS NULL AND ($1::uuid IS NULL OR webhook_id = $1) ORDER BY created_at
            """, connection);
        command.Parameters.Add(new() { Value = (object?)webhookId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        var list = new List<Subscription>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(new(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<string[]>(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return list;
    }

    /// <summary>Stops deliveries to the subscription (kept, with its history); false when there is none.</summary>
    public async Task<bool> DeleteAsync(Guid webhookId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            "UPDATE webhook_subscriptions SET deleted_at = $2 WHERE webhook_id = $1 AND deleted_at IS NULL", connection);
        command.Parameters.Add(new() { Value = webhookId });
        command.Parameters.Add(new() { Value = clock.GetUtcNow() });
        return await command.ExecuteNonQueryAsync(ct) > 0;
    }

    /// <summary>
    /// Owes every live subscription each alert of its event types raised since it subscribed (drift alerts and the
    /// others alike); idempotent, so a round that fails half-way is simply repeated.
    /// </summary>
    public async Task EnqueueAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO webhook_deliveries (webhook_id, alert_id, event_type, status, next_attempt_at, created_at)
            SELECT s.webhook_id, a.alert_id, a.event_type, 'pending', $1, $1
            FROM webhook_subscriptions s
            JOIN (SELECT alert_id, 'DriftDetected' AS event_type, detected_at FROM drift_alerts
                  UNION ALL SELECT alert_id, event_type, detected_at FROM monitoring_alerts) a
              ON a.event_type = ANY(s.event_types) AND a.detected_at >= s.created_at
            WHERE s.deleted_at IS NULL
            ON CONFLICT (webhook_id, alert_id) DO NOTHING
            """, connection);
        command.Parameters.Add(new() { Value = clock.GetUtcNow() });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Claims up to <paramref name="limit"/> due deliveries by pushing their next attempt past <paramref name="lease"/>
    /// (so another replica does not send them meanwhile; a crashed sender's claims fall due again).
    /// </summary>
    public async Task<IReadOnlyList<DueDelivery>> ClaimDueAsync(NpgsqlConnection connection, int limit, TimeSpan lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var command = new NpgsqlCommand("""
            WITH due AS (
                SELECT d.delivery_id FROM webhook_deliveries d JOIN webhook_subscriptions s USING (webhook_id)
                WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND s.deleted_at IS NULL
                ORDER BY d.next_attempt_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED)
            UPDATE webhook_deliveries d SET next_attempt_at = $3 FROM due, webhook_subscriptions s
            WHERE d.delivery_id = due.delivery_id AND s.webhook_id = d.webhook_id
            RETURNING d.delivery_id, s.url, s.secret, d.alert_id, d.event_type, d.attempts,
                (SELECT message::text FROM drift_alerts WHERE alert_id = d.alert_id
                 UNION ALL SELECT message::text FROM monitoring_alerts WHERE alert_id = d.alert_id LIMIT 1)
            """, connection);
        command.Parameters.Add(new() { Value = now });
        command.Parameters.Add(new() { Value = limit });
        command.Parameters.Add(new() { Value = now + lease });
        var due = new List<DueDelivery>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            due.Add(new(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetGuid(3), reader.GetString(4), reader.GetInt32(5), reader.GetString(6)));
        }

        return due;
    }

    /// <summary>Records an attempt and the delivery's new state: <c>delivered</c>, <c>failed</c> or still <c>pending</c> until <paramref name="retryAt"/>.</summary>
    public async Task RecordAttemptAsync(
        NpgsqlConnection connection, DueDelivery delivery, Attempt attempt, string status, DateTimeOffset? retryAt, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            WITH attempt AS (
                INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, status_code, error, latency_ms) VALUES ($1, $2, $3, $4, $5, $6))
            UPDATE webhook_deliveries SET attempts = $2, status = $7, next_attempt_at = coalesce($8, next_attempt_at),
                finished_at = CASE WHEN $7 = 'pending' THEN NULL ELSE $3 END
            WHERE delivery_id = $1
            """, connection);
        command.Parameters.Add(new() { Value = delivery.DeliveryId });
        command.Parameters.Add(new() { Value = attempt.Number });
        command.Parameters.Add(new() { Value = attempt.AttemptedAt });
        command.Parameters.Add(new() { Value = (object?)attempt.StatusCode ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new() { Value = (object?)attempt.Error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = attempt.LatencyMs });
        command.Parameters.Add(new() { Value = status });
        command.Parameters.Add(new() { Value = (object?)retryAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A subscription's deliveries, newest first, each with every attempt.</summary>
    public async Task<IReadOnlyList<Delivery>> DeliveriesAsync(Guid webhookId, int limit, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("""
            SELECT d.delivery_id, d.alert_id, d.event_type, d.status, d.attempts, d.created_at, d.finished_at, d.next_attempt_at,
                   a.attempt, a.attempted_at, a.status_code, a.error, a.latency_ms
            FROM (SELECT * FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY delivery_id DESC LIMIT $2) d
            LEFT JOIN webhook_attempts a USING (delivery_id)
            ORDER BY d.delivery_id DESC, a.attempt
            """, connection);
        command.Parameters.Add(new() { Value = webhookId });
        command.Parameters.Add(new() { Value = limit });
        var deliveries = new List<(Delivery Delivery, List<Attempt> History)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetInt64(0);
            if (deliveries.Count == 0 || deliveries[^1].Delivery.DeliveryId != id)
            {
                var status = reader.GetString(3);
                var history = new List<Attempt>();
                deliveries.Add((new Delivery(
                    id, reader.GetGuid(1), reader.GetString(2), status, reader.GetInt32(4), reader.GetFieldValue<DateTimeOffset>(5),
                    reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                    status == "pending" ? reader.GetFieldValue<DateTimeOffset>(7) : null, history), history));
            }

            if (!reader.IsDBNull(8))
            {
                deliveries[^1].History.Add(new(
                    reader.GetInt32(8), reader.GetFieldValue<DateTimeOffset>(9), reader.IsDBNull(10) ? null : reader.GetInt32(10),
                    reader.IsDBNull(11) ? null : reader.GetString(11), reader.GetDouble(12)));
            }
        }

        return deliveries.Select(d => d.Delivery).ToList();
    }
}
