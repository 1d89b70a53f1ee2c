namespace Mlops.EventStore;

/// <summary>
/// Another writer appended to the stream since the caller read it: nothing was written. Reload the stream,
/// decide again, and append with the new version.
/// </summary>
public sealed class ConcurrencyConflictException(string streamId, long expectedVersion, long actualVersion)
    : Exception($"Stream '{streamId}' is at version {actualVersion}, but version {expectedVersion} was expected.")
{
    /// <summary>The stream the append targeted.</summary>
    public string StreamId { get; } = streamId;

    /// <summary>The version the caller expected.</summary>
    public long ExpectedVersion { get; } = expectedVersion;

    /// <summary>The stream's version when the append was refused.</summary>
    public long ActualVersion { get; } = actualVersion;
}
