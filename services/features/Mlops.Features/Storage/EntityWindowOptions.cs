namespace Mlops.Features.Storage;

/// <summary>The streaming computation's in-memory entity windows (<c>Features:EntityWindows</c>).</summary>
public sealed class EntityWindowOptions
{
    public const string Section = "Features:EntityWindows";

    /// <summary>Off: every batch reads its entities' windows from the database, as before the cache.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Most entities held; past it the cache starts over (the windows are read again as entities come back).</summary>
    public int MaxEntities { get; set; } = 100_000;

    public static bool IsValid(EntityWindowOptions o) => o.MaxEntities is >= 1 and <= 10_000_000;
}
