namespace Mlops.Ingestion.Storage;

/// <summary>What happened to one observation handed to the raw store.</summary>
public enum StoreOutcome
{
    /// <summary>Stored now; it will be published.</summary>
    Accepted,

    /// <summary>The same observation was stored before; acknowledged, not stored again.</summary>
    Duplicate,

    /// <summary>The id is already used by a different observation; refused.</summary>
    Conflict,
}

/// <summary>Outcome and raw-store position of one observation.</summary>
public sealed record StoreResult(StoreOutcome Outcome, long? Sequence, DateTimeOffset? RecordedAt);
