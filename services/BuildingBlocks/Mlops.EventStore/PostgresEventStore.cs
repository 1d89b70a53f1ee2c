using System.Diagnostics;
using System.Text.Json;
using Mlops.EventStore.Projections;
using Npgsql;
using NpgsqlTypes;

namespace Mlops.EventStore;

/// <summary>
/// <see cref="IEventStore"/> on PostgreSQL. Every append takes one transaction-scoped advisory lock per schema
/// before it draws global positions, so positions become visible in the order they were drawn: a reader that has
/// seen position N will never later discover a committed event below N (see docs/registry.md).
/// </summary>
public sealed class PostgresEventStore(
    NpgsqlDataSource dataSource,
    EventStoreSchema schema,
    EventTypeRegistry types,
    IEnumerable<IInlineProjection> projections) : IEventStore
{
    readonly IInlineProjection[] _projections = projections.ToArray();

    /// <inheritdoc />
    public async Task<AppendResult> AppendAsync(
        string streamId, long expectedVersion, IReadOnlyList<object> events, EventMetadata? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(streamId);
        if (events.Count == 0)
        {
            throw new ArgumentException("Nothing to append.", nameof(events));
        }

        using var activity = EventStoreTelemetry.Source.StartActivity("event_store append");
        activity?.SetTag("mlops.stream_id", streamId);
        var started = Stopwatch.GetTimestamp();
        metadata ??= new EventMetadata();

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var (currentVersion, recordedAt) = await LockAndReadAsync(connection, transaction, streamId, cancellationToken);
        if (expectedVersion != ExpectedVersion.Any && expectedVersion != currentVersion)
        {
            EventStoreTelemetry.Conflicts.Add(1);
            throw new ConcurrencyConflictException(streamId, expectedVersion, currentVersion);
        }

        await using (var stream = new NpgsqlCommand(currentVersion == 0 ? schema.InsertStream : schema.UpdateStream, connection, transaction))
        {
            stream.Parameters.Add(new NpgsqlParameter { Value = streamId });
            stream.Parameters.Add(new NpgsqlParameter { Value = currentVersion + events.Count });
            await stream.ExecuteNonQueryAsync(cancellationToken);
        }

        var ids = new Guid[events.Count];
        var versions = new long[events.Count];
        var names = new string[events.Count];
        var payloads = new string[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            ids[i] = Guid.CreateVersion7();
            versions[i] = currentVersion + i + 1;
            names[i] = types.NameOf(events[i].GetType());
            payloads[i] = types.Serialize(events[i]);
        }

        var positions = await InsertEventsAsync(connection, transaction, streamId, ids, versions, names, payloads, metadata, recordedAt, cancellationToken);

        var recorded = new RecordedEvent[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            recorded[i] = new RecordedEvent
            {
                EventId = ids[i], StreamId = streamId, Version = versions[i], Position = positions[ids[i]],
                EventType = names[i], Data = events[i], Metadata = metadata, RecordedAt = recordedAt,
            };
        }

        await InsertOutboxAsync(connection, transaction, streamId, recorded, payloads, cancellationToken);
        foreach (var projection in _projections)
        {
            await projection.ApplyAsync(connection, transaction, recorded, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        EventStoreTelemetry.Appended.Add(events.Count);
        EventStoreTelemetry.AppendDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        return new AppendResult(streamId, currentVersion + events.Count, recorded);
    }

    /// <inheritdoc />
    public async Task<StreamEvents> LoadAsync(string streamId, long? toVersion = null, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default)
    {
        using var activity = EventStoreTelemetry.Source.StartActivity("event_store load");
        activity?.SetTag("mlops.stream_id", streamId);
        await using var command = dataSource.CreateCommand(schema.LoadStream);
        command.Parameters.Add(new NpgsqlParameter { Value = streamId });
        command.Parameters.Add(new NpgsqlParameter { Value = toVersion ?? long.MaxValue });
        command.Parameters.Add(new NpgsqlParameter { Value = asOf is { } time ? time.ToUniversalTime() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        var events = await ReadEventsAsync(command, cancellationToken);
        return new StreamEvents(streamId, events.Count == 0 ? 0 : events[^1].Version, events);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RecordedEvent>> ReadAllAsync(long afterPosition, int maxCount, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(schema.ReadAll);
        command.Parameters.Add(new NpgsqlParameter { Value = afterPosition });
        command.Parameters.Add(new NpgsqlParameter { Value = maxCount });
        return await ReadEventsAsync(command, cancellationToken);
    }

    /// <summary>Reads rows selected with <see cref="EventStoreSchema"/>'s event columns, upcasting as needed.</summary>
    internal async Task<List<RecordedEvent>> ReadEventsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var events = new List<RecordedEvent>();
        // The events of one append share their metadata; parse each distinct document once.
        var metadata = new Dictionary<string, EventMetadata>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var (name, data) = types.Deserialize(reader.GetString(4), reader.GetString(5));
            events.Add(new RecordedEvent
            {
                Position = reader.GetInt64(0),
                EventId = reader.GetGuid(1),
                StreamId = reader.GetString(2),
                Version = reader.GetInt64(3),
                EventType = name,
                Data = data,
                Metadata = Metadata(metadata, reader.GetString(6)),
                RecordedAt = reader.GetFieldValue<DateTimeOffset>(7),
            });
        }

        return events;
    }

    static EventMetadata Metadata(Dictionary<string, EventMetadata> parsed, string json)
    {
        if (!parsed.TryGetValue(json, out var metadata))
        {
            parsed[json] = metadata = JsonSerializer.Deserialize<EventMetadata>(json, EventTypeRegistry.SerializerOptions) ?? new EventMetadata();
        }

        return metadata;
    }

    async Task<(long Version, DateTimeOffset Now)> LockAndReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string streamId, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(schema.LockAppends) { Parameters = { new NpgsqlParameter { Value = schema.AppendLockKey } } },
                new NpgsqlBatchCommand(schema.ReadVersionAndClock) { Parameters = { new NpgsqlParameter { Value = streamId } } },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        // The clock is read after the lock, so recorded times never decrease along the global order.
        return (reader.IsDBNull(0) ? 0 : reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1));
    }

    async Task<Dictionary<Guid, long>> InsertEventsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string streamId, Guid[] ids, long[] versions, string[] names, string[] payloads,
        EventMetadata metadata, DateTimeOffset recordedAt, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(schema.InsertEvents, connection, transaction);
        insert.Parameters.Add(new NpgsqlParameter { Value = streamId });
        insert.Parameters.Add(new NpgsqlParameter { Value = ids });
        insert.Parameters.Add(new NpgsqlParameter { Value = versions });
        insert.Parameters.Add(new NpgsqlParameter { Value = names });
        insert.Parameters.Add(new NpgsqlParameter { Value = payloads });
        insert.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(metadata, EventTypeRegistry.SerializerOptions) });
        insert.Parameters.Add(new NpgsqlParameter { Value = recordedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        var positions = new Dictionary<Guid, long>(ids.Length);
        await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            positions[reader.GetGuid(0)] = reader.GetInt64(1);
        }

        return positions;
    }

    async Task InsertOutboxAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string streamId, RecordedEvent[] recorded, string[] payloads, CancellationToken cancellationToken)
    {
        var published = Enumerable.Range(0, recorded.Length).Where(i => types.IsPublished(recorded[i].Data.GetType())).ToArray();
        if (published.Length == 0)
        {
            return;
        }

        await using var outbox = new NpgsqlCommand(schema.InsertOutbox, connection, transaction);
        outbox.Parameters.Add(new NpgsqlParameter { Value = streamId });
        outbox.Parameters.Add(new NpgsqlParameter { Value = published.Select(i => recorded[i].EventId).ToArray() });
        outbox.Parameters.Add(new NpgsqlParameter { Value = published.Select(i => recorded[i].Position).ToArray() });
        outbox.Parameters.Add(new NpgsqlParameter { Value = published.Select(i => recorded[i].EventType).ToArray() });
        outbox.Parameters.Add(new NpgsqlParameter { Value = published.Select(i => payloads[i]).ToArray() });
        await outbox.ExecuteNonQueryAsync(cancellationToken);
    }
}
