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
    /// Key the registry sends (<c>X-Api-Key</c>) to read the gateway's shadow comparison, which, like every gateway
    /// route, needs one (any role). Unset: the platform's own key, <c>MLOPS_API_KEY</c> from the environment or the
    /// local env file. Set a viewer-role key here in production.
    /// </summary>
    public string? GatewayApiKey { get; set; }

    /// <summary>
    /// Base address of the monitoring service (labelled quality and drift per version and variant since the rollout
    /// started); none: the AUROC drop and drift share are inconclusive.
    /// </summary>
    public string? MonitoringAddress { get; set; }

    /// <summary>
    /// Share of the champion's requests mirrored to the candidate while a rollout analyses divergence: the rollout
    /// makes its candidate the shadow for its duration, so the gateway compares the two on the same requests.
    /// </summary>
    public int DivergenceMirrorPercent { get; set; } = 50;

    /// <summary>How often the sweeper looks for rollouts whose analysis is due (a breach is acted on at most this late after the interval).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time allowed for one measurement's HTTP call.</summary>
    public TimeSpan MeasurementTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public static bool IsValid(RolloutOptions o) =>
        o.SweepInterval > TimeSpan.Zero && o.MeasurementTimeout > TimeSpan.Zero && o.DivergenceMirrorPercent is >= 1 and <= 100
        && o.InferenceAddresses.All(a => Uri.TryCreate(a, UriKind.Absolute, out _))
        && (o.GatewayAddress is null || Uri.TryCreate(o.GatewayAddress, UriKind.Absolute, out _))
        && (o.MonitoringAddress is null || Uri.TryCreate(o.MonitoringAddress, UriKind.Absolute, out _));
}
