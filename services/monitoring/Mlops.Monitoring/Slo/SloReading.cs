namespace Mlops.Monitoring.Slo;

/// <summary>One series' counters as one scrape read them (<paramref name="Instance"/> is the pod's base address).</summary>
public sealed record SloReading(string Instance, string ModelName, string ModelVersion, SloCounters Raw, double? LatencyBoundMs);
