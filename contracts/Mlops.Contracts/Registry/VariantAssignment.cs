using System.Text;

namespace Mlops.Contracts.Registry;

/// <summary>
/// The one rule that puts an entity on a variant, shared by the gateway (HTTP) and inference (streaming) so both split
/// a model's traffic identically, on every replica and after every restart. An entity's bucket (0–9,999) is a stable
/// hash of model name and entity id; the non-champion routes take the lowest buckets in alias order and the champion
/// the rest, so raising a canary's share moves only entities from the champion to the canary, never back and forth.
/// </summary>
public static class VariantAssignment
{
    public const int Buckets = 10_000;

    /// <summary>The entity's bucket for <paramref name="modelName"/>: FNV-1a 64 over UTF-8, independent of process and platform.</summary>
    public static int Bucket(string modelName, string entityId) => (int)(Mix(Hash(modelName, entityId)) % Buckets);

    /// <summary>
    /// The entity's mirror bucket: the same hash with a different finaliser, so the mirrored sample is independent of
    /// the serving split. Taking the low serving buckets would mirror exactly the canary's entities (at canary 10 % and
    /// mirror 10 % the shadow would only ever be compared with the canary, never with the champion).
    /// </summary>
    public static int MirrorBucket(string modelName, string entityId) => (int)(Mix(Hash(modelName, entityId) ^ MirrorSalt) % Buckets);

    const ulong MirrorSalt = 0x9E3779B97F4A7C15UL;

    static ulong Hash(string modelName, string entityId)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentNullException.ThrowIfNull(entityId);
        const ulong offset = 14695981039346656037UL;
        const ulong prime = 1099511628211UL;
        var hash = offset;
        foreach (var b in Encoding.UTF8.GetBytes(modelName))
        {
            hash = (hash ^ b) * prime;
        }

        // A separator no entity id can smuggle in keeps ("ab", "c") and ("a", "bc") apart.
        hash = (hash ^ 0xFF) * prime;
        foreach (var b in Encoding.UTF8.GetBytes(entityId))
        {
            hash = (hash ^ b) * prime;
        }

        return hash;
    }

    // FNV's low bits mix poorly for short keys; fold the high half in before taking the remainder.
    static ulong Mix(ulong hash)
    {
        hash ^= hash >> 29;
        hash *= 0xBF58476D1CE4E5B9UL;
        hash ^= hash >> 32;
        return hash;
    }

    /// <summary>
    /// The serving route (TrafficPercent &gt; 0) that answers <paramref name="entityId"/>, or null when none serves.
    /// Shares are in whole percent, so each percent is 100 buckets.
    /// </summary>
    public static TrafficRoute? Assign(string modelName, string entityId, IReadOnlyList<TrafficRoute> routes) =>
        AssignBucket(Bucket(modelName, entityId), routes);

    public static TrafficRoute? AssignBucket(int bucket, IReadOnlyList<TrafficRoute> routes)
    {
        TrafficRoute? champion = null;
        var start = 0;
        foreach (var route in routes.Where(r => r.TrafficPercent > 0).OrderBy(r => r.Alias == ModelAliases.Champion).ThenBy(r => r.Alias, StringComparer.Ordinal))
        {
            if (route.Alias == ModelAliases.Champion)
            {
                champion = route;
                continue;
            }

            var end = start + route.TrafficPercent * (Buckets / 100);
            if (bucket < end)
            {
                return route;
            }

            start = end;
        }

        return champion ?? routes.Where(r => r.TrafficPercent > 0).OrderByDescending(r => r.TrafficPercent).FirstOrDefault();
    }

    /// <summary>
    /// Whether the request of <paramref name="entityId"/> is also mirrored to <paramref name="shadow"/> (its
    /// MirrorPercent, by the entity's <see cref="MirrorBucket"/>: sticky, and a sample of every serving variant).
    /// </summary>
    public static bool Mirrors(string modelName, string entityId, TrafficRoute shadow) =>
        shadow.MirrorPercent > 0 && MirrorBucket(modelName, entityId) < shadow.MirrorPercent * (Buckets / 100);
}
