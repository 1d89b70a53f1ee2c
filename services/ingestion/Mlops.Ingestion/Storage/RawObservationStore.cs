using System.Diagnostics;
using Mlops.Ingestion.Validation;
using Npgsql;

namespace Mlops.Ingestion.Storage;

/// <summary>
/// Appends validated observations, at most once per observation id, and queues them for publication in the
/// same transaction: an observation acknowledged to its sender is durably stored and will reach Kafka.
/// </summary>
public sealed class RawObservationStore(IngestionDatabase database, OutboxSignal outboxSignal)
{
    const string InsertSql = """
        INSERT INTO observations (observation_id, entity_id, entity_type, code, value, category, unit,
                                  original_value, original_unit, event_time, source_system, content_hash, available_time)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::text[],
                             $8::text[], $9::text[], $10::timestamptz[], $11::text[], $12::text[], $13::timestamptz[])
        ON CONFLICT (observation_id) DO NOTHING
        RETURNING observation_id, seq, recorded_at
        """;

    const string ExistingSql = "SELECT observation_id, seq, recorded_at, content_hash FROM observations WHERE observation_id = ANY($1)";

    // Each row keeps the trace context of the request that sent it (a group commit carries many).
    const string OutboxSql = "INSERT INTO observation_outbox (seq, traceparent, tracestate) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])";

    /// <summary>Stores a batch in one transaction, every row under the ambient trace; one result per input, in input order.</summary>
    public Task<IReadOnlyList<StoreResult>> StoreAsync(IReadOnlyList<ValidatedObservation> observations, CancellationToken cancellationToken) =>
        StoreAsync(observations, [.. Enumerable.Repeat(SenderTrace.Current, observations.Count)], cancellationToken);

    /// <summary>
    /// Stores a batch in one transaction, each row under its own trace context (parallel to
    /// <paramref name="observations"/>); returns one result per input, in input order.
    /// </summary>
    public async Task<IReadOnlyList<StoreResult>> StoreAsync(
        IReadOnlyList<ValidatedObservation> observations, IReadOnlyList<SenderTrace> traces, CancellationToken cancellationToken)
    {
        var results = new StoreResult?[observations.Count];
        var firstIndexById = new Dictionary<string, int>(StringComparer.Ordinal);
        var unique = new List<ValidatedObservation>(observations.Count);
        for (var i = 0; i < observations.Count; i++)
        {
            if (firstIndexById.TryAdd(observations[i].ObservationId, i))
            {
                unique.Add(observations[i]);
            }
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var inserted = await InsertAsync(connection, transaction, unique, cancellationToken);
        var existing = inserted.Count == unique.Count
            ? new Dictionary<string, (long Seq, DateTimeOffset RecordedAt, string Hash)>()
            : await LoadExistingAsync(connection, transaction, unique.Where(o => !inserted.ContainsKey(o.ObservationId)).Select(o => o.ObservationId).ToArray(), cancellationToken);

        if (inserted.Count > 0)
        {
            var rows = inserted.Select(i => (i.Value.Seq, Trace: traces[firstIndexById[i.Key]])).ToList();
            await using var outbox = new NpgsqlCommand(OutboxSql, connection, transaction);
            outbox.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Seq).ToArray() });
            outbox.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Trace.TraceParent).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            outbox.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Trace.TraceState).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            await outbox.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (inserted.Count > 0)
        {
            outboxSignal.Notify();
        }

        for (var i = 0; i < observations.Count; i++)
        {
            var observation = observations[i];
            var first = firstIndexById[observation.ObservationId];
            if (first == i && inserted.TryGetValue(observation.ObservationId, out var stored))
            {
                results[i] = new StoreResult(StoreOutcome.Accepted, stored.Seq, stored.RecordedAt);
            }
            else if (first != i)
            {
                // A repeat inside the same batch: compare with the first occurrence.
                var original = observations[first];
                var firstResult = results[first]!;
                results[i] = original.ContentHash == observation.ContentHash
                    ? firstResult with { Outcome = firstResult.Outcome == StoreOutcome.Conflict ? StoreOutcome.Conflict : StoreOutcome.Duplicate }
                    : new StoreResult(StoreOutcome.Conflict, null, null);
            }
            else
            {
                var (seq, recordedAt, hash) = existing[observation.ObservationId];
                results[i] = hash == observation.ContentHash
                    ? new StoreResult(StoreOutcome.Duplicate, seq, recordedAt)
                    : new StoreResult(StoreOutcome.Conflict, seq, recordedAt);
            }
        }

        return results!;
    }

    static async Task<Dictionary<string, (long Seq, DateTimeOffset RecordedAt)>> InsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, List<ValidatedObservation> rows, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(InsertSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.ObservationId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.EntityId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.EntityType).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Code).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Value).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Category).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Unit).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.OriginalValue).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.OriginalUnit).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.EventTime).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.SourceSystem).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.ContentHash).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.AvailableTime).ToArray() });

        var inserted = new Dictionary<string, (long, DateTimeOffset)>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            inserted[reader.GetString(0)] = (reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2));
        }

        return inserted;
    }

    static async Task<Dictionary<string, (long, DateTimeOffset, string)>> LoadExistingAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string[] ids, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(ExistingSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        var existing = new Dictionary<string, (long, DateTimeOffset, string)>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            existing[reader.GetString(0)] = (reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3));
        }

        return existing;
    }
}
