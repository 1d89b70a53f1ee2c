using JasperFx.Events;
using Mlops.Registry.Domain;

namespace Mlops.Registry.Application;

/// <summary>Converts Marten's events into the registry's <see cref="RecordedEvent"/>; actor and reason travel as event headers.</summary>
public static class StoredEvents
{
    public const string ActorHeader = "actor";
    public const string ReasonHeader = "reason";

    public static RecordedEvent ToRecorded(IEvent e) => new()
    {
        EventId = e.Id,
        StreamId = e.StreamKey ?? e.StreamId.ToString(),
        Version = e.Version,
        Position = e.Sequence,
        EventType = e.EventTypeName,
        Data = e.Data,
        Metadata = new EventMetadata { Actor = Header(e, ActorHeader), Reason = Header(e, ReasonHeader) },
        RecordedAt = Microseconds(e.Timestamp),
    };

    public static IReadOnlyList<RecordedEvent> ToRecorded(IEnumerable<IEvent> events) => events.Select(ToRecorded).ToList();

    /// <summary>
    /// The append time at PostgreSQL's precision: in the append's own session (inline projections) Marten holds the
    /// .NET clock's 100 ns ticks, read back it has microseconds; truncating (as Npgsql does when writing) makes a
    /// snapshot built inline and a later replay agree to the tick.
    /// </summary>
    public static DateTimeOffset Microseconds(DateTimeOffset time) => time.AddTicks(-(time.UtcTicks % 10)).ToUniversalTime();

    // In memory a header is the string that was set; read back from the database it is a JSON element.
    static string? Header(IEvent e, string key) =>
        e.Headers is { } headers && headers.TryGetValue(key, out var value) && value is not null ? value.ToString() : null;
}
