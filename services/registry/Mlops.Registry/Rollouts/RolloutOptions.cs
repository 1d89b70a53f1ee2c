namespace Mlops.Registry.Rollouts;

/// <summary>Where rollout analyses read their measurements and how often due analyses are looked for (section <c>Registry:Rollouts</c>).</summary>
public sealed class RolloutOptions
{
    public const string Section = "Registry:Rollouts";

    /// <summary>Base addresses of the inference pods whose <c>/metrics</c> are read (summed: one pod per version or several replicas).</summary>
    public List<string> InferenceAddresses { get; set; } = [];

    /// <summary>Base address of the gateway (its shadow comparison gives the divergence); none: divergence is inconclusive.</summary>
    public string? GatewayAddress { get; set; }

    /// <summary>
    /// Base address of the monitoring service (labelled quality and drift per version and variant since the rollout
    /// started); none: the AUROC drop and drift share are inconclusive.
    /// </summary>
    public string? MonitoringAddress { get; set; }

    /// <summary>How often the sweeper looks for rollouts whose analysis is due (a breach is acted on at most this late after the interval).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time allowed for one measurement's HTTP call.</summary>
    public TimeSpan MeasurementTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public static bool IsValid(RolloutOptions o) =>
        o.SweepInterval > TimeSpan.Zero && o.MeasurementTimeout > TimeSpan.Zero
        && o.InferenceAddresses.All(a => Uri.TryCreate(a, UriKind.Absolute, out _))
        && (o.GatewayAddress is null || Uri.TryCreate(o.GatewayAddress, UriKind.Absolute, out _))
        && (o.MonitoringAddress is null || Uri.TryCreate(o.MonitoringAddress, UriKind.Absolute, out _));
}
