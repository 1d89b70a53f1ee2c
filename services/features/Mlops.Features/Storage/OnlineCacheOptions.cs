namespace Mlops.Features.Storage;

/// <summary>The online read path's in-memory cache (<c>Features:OnlineCache</c>).</summary>
public sealed class OnlineCacheOptions
{
    public const string Section = "Features:OnlineCache";

    /// <summary>
    /// Memory the cached vectors may take (their JSON, as served, and the bookkeeping around it). Past it
    /// the least recently read vectors are dropped and read through from PostgreSQL when asked again, so a store of
    /// millions of entities is served from a process of bounded size.
    /// </summary>
    public int SizeLimitMegabytes { get; set; } = 512;

    public static bool IsValid(OnlineCacheOptions o) => o.SizeLimitMegabytes is >= 1 and <= 1_048_576;
}
