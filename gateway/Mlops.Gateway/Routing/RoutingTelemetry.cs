using System.Diagnostics.Metrics;

namespace Mlops.Gateway.Routing;

/// <summary>The variant router's meter (<c>Mlops.Gateway.Routing</c>).</summary>
public static class RoutingTelemetry
{
    public const string Name = "Mlops.Gateway.Routing";

    static readonly Meter Meter = new(Name);

    /// <summary>Inference requests by model, variant and how the variant was chosen.</summary>
    public static readonly Counter<long> Requests = Meter.CreateCounter<long>("mlops.gateway.variant.requests", "{request}", "Inference requests assigned a variant");

    /// <summary>Deployments applied (or ignored as not newer) by source.</summary>
    public static readonly Counter<long> Deployments = Meter.CreateCounter<long>("mlops.gateway.deployments", "{deployment}", "Deployments applied or ignored by the gateway");
}
