namespace Mlops.Gateway.Security;

/// <summary>
/// Requests per API key (configuration section <c>Security:RateLimit</c>): a token bucket per key id, so a key may burst
/// up to <see cref="TokenLimit"/> requests and sustain <see cref="TokensPerPeriod"/> per <see cref="ReplenishmentPeriod"/>.
/// Each gateway replica counts on its own.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "Security:RateLimit";

    public int TokenLimit { get; set; } = 2_000;

    public int TokensPerPeriod { get; set; } = 1_000;

    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);
}
