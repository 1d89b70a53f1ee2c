namespace Mlops.Monitoring.Slo;

/// <summary>
/// One series' counters as one scrape read them (<paramref name="Instance"/> is the pod's base address).
/// <paramref name="Raw"/>'s fast count is at the service-wide threshold (<paramref name="LatencyBoundMs"/>);
/// <paramref name="Buckets"/> is the whole latency histogram (finite bounds, cumulative counts), kept so each model's
/// own latency objective — and a changed one — applies to every window when it is judged.
/// </summary>
public sealed record SloReading(string Instance, string ModelName, string ModelVersion, SloCounters Raw, double? LatencyBoundMs, LatencyBuckets? Buckets = null);

/// <summary>A latency histogram: finite upper bounds, ascending, and the cumulative count at each (running totals once stored).</summary>
public sealed record LatencyBuckets(double[] Bounds, double[] Counts)
{
    /// <summary>Successes at most the first bound at or above <paramref name="thresholdMs"/>, and that bound; null when no bound reaches it.</summary>
    public (double Bound, double Count)? AtOrBelow(double thresholdMs)
    {
        for (var i = 0; i < Bounds.Length; i++)
        {
            if (Bounds[i] >= thresholdMs)
            {
                return (Bounds[i], Counts[i]);
            }
        }

        return null;
    }

    /// <summary>Whether both histograms have the same bounds (a pod's buckets changed only with its configuration).</summary>
    public bool SameBounds(LatencyBuckets other) => Bounds.AsSpan().SequenceEqual(other.Bounds);
}
