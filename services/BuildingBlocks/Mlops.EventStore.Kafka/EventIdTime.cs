namespace Mlops.EventStore.Kafka;

/// <summary>
/// The append time carried in an event id: the store draws UUIDv7 ids, whose first 48 bits are Unix milliseconds.
/// Using it keeps a re-published envelope identical to the first one.
/// </summary>
internal static class EventIdTime
{
    public static DateTimeOffset? Of(Guid eventId)
    {
        if (eventId.Version != 7)
        {
            return null;
        }

        Span<byte> bytes = stackalloc byte[16];
        eventId.TryWriteBytes(bytes, bigEndian: true, out _);
        long milliseconds = 0;
        for (var i = 0; i < 6; i++)
        {
            milliseconds = (milliseconds << 8) | bytes[i];
        }

        return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
    }
}
