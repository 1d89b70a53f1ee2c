using System.Diagnostics.Metrics;

namespace Mlops.Gateway.Security;

/// <summary>Metrics of keys, roles and rate limits at the gateway.</summary>
public static class SecurityTelemetry
{
    public const string Name = "Mlops.Gateway.Security";

    static readonly Meter Meter = new(Name);

    /// <summary>Keys refused by authentication, by reason (malformed, unknown, revoked).</summary>
    public static readonly Counter<long> Refused = Meter.CreateCounter<long>("mlops.gateway.keys.refused", "{request}");

    /// <summary>Requests answered 401 or 403, by status and policy.</summary>
    public static readonly Counter<long> Denied = Meter.CreateCounter<long>("mlops.gateway.authorization.denied", "{request}");

    /// <summary>Requests answered 429, by key id.</summary>
    public static readonly Counter<long> RateLimited = Meter.CreateCounter<long>("mlops.gateway.rate_limited", "{request}");
}
