using Mlops.Contracts.Gateway;

namespace Mlops.Gateway.Security;

/// <summary>API keys (configuration section <c>Security:ApiKeys</c>).</summary>
public sealed class ApiKeyOptions
{
    public const string Section = "Security:ApiKeys";

    /// <summary>
    /// Configuration key of the bootstrap admin key: <c>MLOPS_API_KEY</c>, which the local setup writes to
    /// <c>.local/platform.env</c> (a deployment sets it as an environment variable or secret).
    /// </summary>
    public const string BootstrapKeySetting = ApiKeys.PlatformKeySetting;

    /// <summary>
    /// How long a replica trusts what it read about a key. A revocation is effective at once on the replica that
    /// handled it and within this time on every other replica.
    /// </summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>At most this many keys (known or unknown ids) are remembered per replica.</summary>
    public int CacheSize { get; set; } = 10_000;
}
