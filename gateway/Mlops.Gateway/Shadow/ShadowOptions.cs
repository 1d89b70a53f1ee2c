using System.ComponentModel.DataAnnotations;

namespace Mlops.Gateway.Shadow;

/// <summary>Shadow traffic (configuration section <c>Gateway:Shadow</c>); which share is mirrored comes from the registry.</summary>
public sealed class ShadowOptions
{
    public const string Section = "Gateway:Shadow";

    /// <summary>Mirrors waiting to be sent; when full, a new mirror is dropped (and counted), never waited for.</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 1024;

    /// <summary>Mirrors in flight at once.</summary>
    [Range(1, 256)]
    public int Workers { get; set; } = 4;

    /// <summary>Longest a mirrored request may take; a slower shadow counts as failed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Probability at or above which a prediction is positive; agreement is measured at it.</summary>
    [Range(0.0, 1.0)]
    public double DecisionThreshold { get; set; } = 0.5;

    /// <summary>Largest primary or shadow answer kept for the comparison (a larger one is not compared).</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxResponseBytes { get; set; } = 256 * 1024;

    /// <summary>Latency samples kept per version pair for the percentiles in the report (the most recent ones).</summary>
    [Range(100, 1_000_000)]
    public int LatencyWindow { get; set; } = 10_000;
}
