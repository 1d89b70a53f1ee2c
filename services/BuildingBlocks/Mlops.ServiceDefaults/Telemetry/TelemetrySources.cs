namespace Mlops.ServiceDefaults.Telemetry;

/// <summary>
/// The activity sources and meters the platform listens to beyond what the instrumentation packages (ASP.NET Core,
/// HttpClient, runtime, Npgsql) register themselves: the platform's own and MassTransit's.
/// </summary>
public static class TelemetrySources
{
    /// <summary>Prefix of every activity source and meter the platform defines itself.</summary>
    public const string PlatformPrefix = "Mlops";

    /// <summary>Activity sources: MassTransit and the platform's own.</summary>
    public static readonly IReadOnlyList<string> ActivitySources =
    [
        "MassTransit",
        PlatformPrefix + ".*",
    ];

    /// <summary>Meters: Kestrel and routing (not covered by the ASP.NET Core instrumentation), MassTransit and the platform's own.</summary>
    public static readonly IReadOnlyList<string> Meters =
    [
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "MassTransit",
        PlatformPrefix + ".*",
    ];
}
