namespace Mlops.Gateway.Dashboard;

/// <summary>The dashboard's live feed (configuration section <c>Gateway:Dashboard</c>).</summary>
public sealed class DashboardOptions
{
    public const string Section = "Gateway:Dashboard";

    /// <summary>How often the feed asks each service for its health, metrics and watched lists while a browser listens.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long one poll of one service may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    public static bool IsValid(DashboardOptions o) =>
        o.PollInterval >= TimeSpan.FromMilliseconds(500) && o.PollInterval <= TimeSpan.FromMinutes(5)
        && o.Timeout > TimeSpan.Zero && o.Timeout <= TimeSpan.FromMinutes(1);
}
