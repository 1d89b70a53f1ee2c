using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Mlops.Gateway.Security;

/// <summary>What a presented key turned out to be.</summary>
public enum KeyCheck
{
    Valid,
    Malformed,
    Unknown,
    WrongSecret,
    Revoked,
}

/// <summary>
/// Checks a presented key against the store, remembering each id's row (or its absence) for
/// <see cref="ApiKeyOptions.CacheDuration"/> so the hot path does not query the database per request.
/// </summary>
public sealed class ApiKeyValidator(ApiKeyStore store, IOptions<ApiKeyOptions> options)
{
    readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = options.Value.CacheSize });

    public async Task<(KeyCheck Check, ApiKeyRecord? Key)> CheckAsync(string presented, CancellationToken cancellationToken)
    {
        if (!ApiKeySecret.TryParse(presented, out var id, out var secret))
        {
            return (KeyCheck.Malformed, null);
        }

        var key = await GetAsync(id, cancellationToken);
        if (key is null)
        {
            return (KeyCheck.Unknown, null);
        }

        // The secret is compared before the revocation is reported, so a guess never learns that an id exists.
        if (!ApiKeySecret.Matches(secret, key.Hash))
        {
            return (KeyCheck.WrongSecret, null);
        }

        return (key.Revoked ? KeyCheck.Revoked : KeyCheck.Valid, key);
    }

    /// <summary>Drops what this replica remembers about a key (after a revocation here).</summary>
    public void Forget(string id) => _cache.Remove(id);

    async Task<ApiKeyRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(id, out ApiKeyRecord? cached))
        {
            return cached;
        }

        var key = await store.FindAsync(id, cancellationToken);
        _cache.Set(id, key, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = options.Value.CacheDuration, Size = 1 });
        return key;
    }
}
