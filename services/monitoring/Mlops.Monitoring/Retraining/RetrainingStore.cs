using System.Text.Json;
using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Storage;
using Mlops.ServiceDefaults;
using Npgsql;
using NpgsqlTypes;

namespace Mlops.Monitoring.Retraining;

/// <summary>
/// The debounce and every request's record. <c>retraining_models</c> holds per model the retraining under way (if any)
/// and when its cooldown ends; a request claims the model with one atomic upsert, so two triggers at the same moment
/// cannot both start one. <c>retraining_requests</c> records every request, accepted or debounced, with why.
/// </summary>
public sealed class RetrainingStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    const string Ddl = """
        CREATE TABLE IF NOT EXISTS retraining_models (
            model_name text PRIMARY KEY,
            active_id uuid NULL,
            cooldown_until timestamptz NULL,
            last_id uuid NULL);
        CREATE TABLE IF NOT EXISTS retraining_requests (
            request_id uuid PRIMARY KEY,
            model_name text NOT NULL,
            trigger text NOT NULL,
            reason text NOT NULL,
            requested_by text NOT NULL,
            evidence jsonb NOT NULL,
            requested_at timestamptz NOT NULL,
            received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            status text NOT NULL,
            debounce_reason text NULL,
            blocking_id uuid NULL);
        CREATE INDEX IF NOT EXISTS ix_retraining_requests_model ON retraining_requests (model_name, received_at DESC);
        """;

    readonly DatabaseSchema _schema = new(dataSource, Ddl, AdvisoryLockKeys.RetrainingSchema);

    public const string Accepted = "accepted";
    public const string Debounced = "debounced";

    /// <summary>
    /// Claims the model for <paramref name="request"/> unless another retraining is under way or the cooldown runs, and
    /// records the request either way. Idempotent: the same request claims again (a redelivery) and is recorded once.
    /// </summary>
    public async Task<RetrainingRequestRecord> ClaimAsync(RequestRetraining request, CancellationToken ct)
    {
        await using var connection = await _schema.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow();
        // ON CONFLICT … DO UPDATE locks the row: concurrent claims are serialised and only one finds it free.
        await using var claim = new NpgsqlCommand("""
            INSERT INTO retraining_models (model_name, active_id) VALUES (@model, @id)
            ON CONFLICT (model_name) DO UPDATE SET active_id = EXCLUDED.active_id
              WHERE retraining_models.active_id = EXCLUDED.active_id
                 OR (retraining_models.active_id IS NULL AND (retraining_models.cooldown_until IS NULL OR retraining_models.cooldown_until <= @now))
            RETURNING active_id
            """, connection, transaction);
        claim.Parameters.AddWithValue("model", request.ModelName);
        claim.Parameters.AddWithValue("id", request.RequestId);
        claim.Parameters.AddWithValue("now", now);
        var claimed = await claim.ExecuteScalarAsync(ct) is Guid;

        string? why = null;
        Guid? blocking = null;
        if (!claimed)
        {
            await using var read = new NpgsqlCommand("SELECT active_id, cooldown_until, last_id FROM retraining_models WHERE model_name = @model", connection, transaction);
            read.Parameters.AddWithValue("model", request.ModelName);
            await using var reader = await read.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            if (!reader.IsDBNull(0))
            {
                blocking = reader.GetGuid(0);
                why = $"retraining {blocking} of {request.ModelName} is under way";
            }
            else
            {
                blocking = reader.IsDBNull(2) ? null : reader.GetGuid(2);
                why = $"cooldown after retraining {blocking} runs until {reader.GetFieldValue<DateTimeOffset>(1):O}";
            }
        }

        await using var record = new NpgsqlCommand("""
            INSERT INTO retraining_requests (request_id, model_name, trigger, reason, requested_by, evidence, requested_at, status, debounce_reason, blocking_id)
            VALUES (@id, @model, @trigger, @reason, @by, @evidence, @at, @status, @why, @blocking)
            ON CONFLICT (request_id) DO NOTHING
            """, connection, transaction);
        record.Parameters.AddWithValue("id", request.RequestId);
        record.Parameters.AddWithValue("model", request.ModelName);
        record.Parameters.AddWithValue("trigger", request.Trigger);
        record.Parameters.AddWithValue("reason", request.Reason);
        record.Parameters.AddWithValue("by", request.RequestedBy);
        record.Parameters.AddWithValue("evidence", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(request.Evidence));
        record.Parameters.AddWithValue("at", request.RequestedAt);
        record.Parameters.AddWithValue("status", claimed ? Accepted : Debounced);
        record.Parameters.AddWithValue("why", (object?)why ?? DBNull.Value);
        record.Parameters.AddWithValue("blocking", (object?)blocking ?? DBNull.Value);
        await record.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
        return (await GetAsync(request.RequestId, ct))!;
    }

    /// <summary>Frees the model after its retraining ended and starts the cooldown (only that retraining can free it).</summary>
    public async Task ReleaseAsync(string model, Guid retrainingId, DateTimeOffset finishedAt, TimeSpan cooldown, CancellationToken ct)
    {
        await using var connection = await _schema.OpenConnectionAsync(ct);
        await using var release = new NpgsqlCommand("""
            UPDATE retraining_models SET active_id = NULL, cooldown_until = @until, last_id = @id
            WHERE model_name = @model AND active_id = @id
            """, connection);
        release.Parameters.AddWithValue("model", model);
        release.Parameters.AddWithValue("id", retrainingId);
        release.Parameters.AddWithValue("until", finishedAt + cooldown);
        await release.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The model's debounce state: the retraining under way and the cooldown; null when it was never retrained.</summary>
    public async Task<RetrainingModelStatus?> ModelStatusAsync(string model, CancellationToken ct)
    {
        await using var connection = await _schema.OpenConnectionAsync(ct);
        await using var read = new NpgsqlCommand("SELECT active_id, cooldown_until, last_id FROM retraining_models WHERE model_name = @model", connection);
        read.Parameters.AddWithValue("model", model);
        await using var reader = await read.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new RetrainingModelStatus(model, reader.IsDBNull(0) ? null : reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1),
                reader.IsDBNull(2) ? null : reader.GetGuid(2))
            : null;
    }

    public async Task<RetrainingRequestRecord?> GetAsync(Guid id, CancellationToken ct)
    {
        var found = await QueryAsync("WHERE request_id = @id", p => p.AddWithValue("id", id), 1, ct);
        return found.Count > 0 ? found[0] : null;
    }

    /// <summary>The latest requests, newest first, of one model or all.</summary>
    public Task<IReadOnlyList<RetrainingRequestRecord>> ListAsync(string? model, int limit, CancellationToken ct) =>
        model is null
            ? QueryAsync("", _ => { }, limit, ct)
            : QueryAsync("WHERE model_name = @model", p => p.AddWithValue("model", model), limit, ct);

    async Task<IReadOnlyList<RetrainingRequestRecord>> QueryAsync(string where, Action<NpgsqlParameterCollection> bind, int limit, CancellationToken ct)
    {
        await using var connection = await _schema.OpenConnectionAsync(ct);
        // The WHERE fragments are constants of this class; values are parameters.
        await using var command = new NpgsqlCommand($"""
            SELECT request_id, model_name, trigger, reason, requested_by, evidence::text, requested_at, received_at, status, debounce_reason, blocking_id
            FROM retraining_requests {where} ORDER BY received_at DESC LIMIT @limit
            """, connection);
        bind(command.Parameters);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var records = new List<RetrainingRequestRecord>();
        while (await reader.ReadAsync(ct))
        {
            records.Add(new RetrainingRequestRecord(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(5)) ?? [],
                reader.GetFieldValue<DateTimeOffset>(6), reader.GetFieldValue<DateTimeOffset>(7), reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetGuid(10)));
        }

        return records;
    }
}

/// <summary>A retraining request as recorded: accepted (its id is the retraining's) or debounced, with why.</summary>
public sealed record RetrainingRequestRecord(
    Guid RequestId, string ModelName, string Trigger, string Reason, string RequestedBy, IReadOnlyDictionary<string, string> Evidence,
    DateTimeOffset RequestedAt, DateTimeOffset ReceivedAt, string Status, string? DebounceReason, Guid? BlockingRetrainingId);

/// <summary>A model's debounce state: the retraining under way (if any), the last one ended and when its cooldown ends.</summary>
public sealed record RetrainingModelStatus(string ModelName, Guid? ActiveRetrainingId, DateTimeOffset? CooldownUntil, Guid? LastRetrainingId);
