namespace Mlops.EventStore;

/// <summary>Special values for the expected version of an append.</summary>
public static class ExpectedVersion
{
    /// <summary>Append whatever the stream's version is (no concurrency check).</summary>
    public const long Any = -1;

    /// <summary>The stream must not exist yet.</summary>
    public const long NoStream = 0;
}
