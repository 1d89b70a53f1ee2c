using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mlops.Gateway.Shadow;

/// <summary>Shadow traffic's activity source and meter (<c>Mlops.Gateway.Shadow</c>).</summary>
public static class ShadowTelemetry
{
    public const string Name = "Mlops.Gateway.Shadow";

    public static readonly ActivitySource ActivitySource = new(Name);

    static readonly Meter Meter = new(Name);

    /// <summary>Mirrors by model and outcome: <c>queued</c>, <c>dropped</c> (queue full), <c>failed</c> (shadow error or timeout), <c>compared</c>, <c>uncomparable</c>.</summary>
    public static readonly Counter<long> Mirrors = Meter.CreateCounter<long>("mlops.gateway.shadow.mirrors", "{request}", "Mirrored requests by outcome");

    /// <summary>Absolute probability difference between primary and shadow, per model and version pair.</summary>
    public static readonly Histogram<double> AbsoluteDifference = Meter.CreateHistogram<double>("mlops.gateway.shadow.probability_difference", "1", "Absolute difference of primary and shadow probability");

    /// <summary>Compared predictions by whether both sides decided alike at the threshold.</summary>
    public static readonly Counter<long> Decisions = Meter.CreateCounter<long>("mlops.gateway.shadow.decisions", "{prediction}", "Compared predictions by agreement at the decision threshold");

    /// <summary>Latency of each side (<c>side</c> = primary or shadow) as the gateway saw it.</summary>
    public static readonly Histogram<double> Latency = Meter.CreateHistogram<double>("mlops.gateway.shadow.latency", "ms", "Latency of the primary and the shadow answer");

    static Func<int>? _queueDepth;

    static readonly ObservableGauge<int> QueueDepth =
        Meter.CreateObservableGauge("mlops.gateway.shadow.queue_depth", () => _queueDepth?.Invoke() ?? 0, "{request}", "Mirrors waiting to be sent");

    /// <summary>The process's queue (one per gateway; in-process test hosts: the latest) reports its depth.</summary>
    public static void ObserveQueue(Func<int> depth) => _queueDepth = depth;
}
