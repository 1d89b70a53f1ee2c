using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mlops.Gateway.Dashboard;

/// <summary>The dashboard's activities and counters (meter and source <c>Mlops.Gateway.Dashboard</c>).</summary>
internal static class DashboardTelemetry
{
    public const string Name = "Mlops.Gateway.Dashboard";

    public static readonly ActivitySource Source = new(Name);

    static readonly Meter Meter = new(Name);

    public static readonly Counter<long> SignIns = Meter.CreateCounter<long>("mlops.dashboard.sign_ins", description: "Dashboard sign-ins, by outcome");

    public static readonly Counter<long> CsrfRefused = Meter.CreateCounter<long>("mlops.dashboard.csrf_refused", description: "Cookie-authenticated state changes refused for a missing or wrong CSRF token");

    public static readonly Counter<long> Polls = Meter.CreateCounter<long>("mlops.dashboard.polls", description: "Service polls by the live feed, by service and outcome");

    public static readonly UpDownCounter<long> Subscribers = Meter.CreateUpDownCounter<long>("mlops.dashboard.subscribers", description: "Open Server-Sent Events streams");
}
