namespace Mlops.ServiceDefaults.Telemetry;

/// <summary>
/// The activity sources and meters the platform listens to. The framework and libraries already emit
/// these; since the OpenTelemetry instrumentation packages are not obtainable here, listening to the
/// sources by name is how their spans and metrics are collected.
/// </summary>
public static class TelemetrySources
{
    /// <summary>Prefix of every activity source and meter the platform defines itself.</summary>
    public const string PlatformPrefix = "Mlops";

    /// <summary>Activity sources: ASP.NET Core, HttpClient, Npgsql, MassTransit and the platform's own.</summary>
    public static readonly IReadOnlyList<string> ActivitySources =
    [
        "Microsoft.AspNetCore",
        "System.Net.Http",
        "Npgsql",
        "MassTransit",
        PlatformPrefix + ".*",
    ];

    /// <summary>Meters: runtime, ASP.NET Core hosting and Kestrel, HttpClient, Npgsql, MassTransit and the platform's own.</summary>
    public static readonly IReadOnlyList<string> Meters =
    [
        "System.Runtime",
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "System.Net.Http",
        "Npgsql",
        "MassTransit",
        PlatformPrefix + ".*",
    ];
}
