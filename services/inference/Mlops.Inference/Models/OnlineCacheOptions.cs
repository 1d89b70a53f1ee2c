namespace Mlops.Inference.Models;

/// <summary>Freshness of the local online-feature cache (configuration section <c>Inference:OnlineCache</c>).</summary>
public sealed class OnlineCacheOptions
{
    /// <summary>
    /// How long a vector this replica cannot vouch for — read from the features service, loaded at start, or received on
    /// a partition since revoked — is served before the features service is asked again. A vector received on a
    /// partition this replica still owns is current however old (the entity's next vector would come here too). Zero:
    /// always ask.
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromSeconds(1);
}
