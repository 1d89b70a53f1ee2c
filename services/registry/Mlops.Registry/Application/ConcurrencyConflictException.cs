namespace Mlops.Registry.Application;

/// <summary>
/// Another decision was committed on the model since the caller read it (or the caller expected another
/// revision): nothing was written. Reload, decide again, append at the new revision. HTTP answers 409; a bus
/// command is retried by its endpoint.
/// </summary>
public sealed class ConcurrencyConflictException(string streamId, long expectedVersion, long actualVersion, Exception? inner = null)
    : Exception($"Stream '{streamId}' is at version {actualVersion}, but version {expectedVersion} was expected.", inner)
{
    public string StreamId { get; } = streamId;

    public long ExpectedVersion { get; } = expectedVersion;

    public long ActualVersion { get; } = actualVersion;
}
