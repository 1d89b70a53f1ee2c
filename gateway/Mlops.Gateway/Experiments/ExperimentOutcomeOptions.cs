namespace Mlops.Gateway.Experiments;

/// <summary>Where experiments with monitoring-counted outcomes read them, and how often (section <c>Gateway:Experiments</c>).</summary>
public sealed class ExperimentOutcomeOptions
{
    public const string Section = "Gateway:Experiments";

    /// <summary>Base address of the monitoring service; none: such experiments are not fed (their status says so).</summary>
    public string? MonitoringAddress { get; set; }

    /// <summary>How often each experiment's counts are brought up to monitoring's (every change is one look of the sequential test).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed for one read of monitoring.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long after its start an experiment is fed (monitoring answers periods of up to 31 days).</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(30);

    public static bool IsValid(ExperimentOutcomeOptions o) =>
        o.Interval > TimeSpan.Zero && o.Timeout > TimeSpan.Zero && o.MaxAge > TimeSpan.Zero && o.MaxAge <= TimeSpan.FromDays(31)
        && (o.MonitoringAddress is null || Uri.TryCreate(o.MonitoringAddress, UriKind.Absolute, out _));
}
