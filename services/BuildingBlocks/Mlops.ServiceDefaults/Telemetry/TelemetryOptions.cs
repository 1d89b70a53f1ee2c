namespace Mlops.ServiceDefaults.Telemetry;

/// <summary>Telemetry settings, bound from the <c>Telemetry</c> configuration section.</summary>
public sealed class TelemetryOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Telemetry";

    /// <summary>
    /// OTLP collector endpoint. When empty the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable is used;
    /// when both are empty nothing is exported (traces and metrics are still produced for in-process listeners).
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>Fraction of root traces kept, 0..1. Child spans follow their parent's decision.</summary>
    public double SamplingRatio { get; set; } = 1.0;

    /// <summary>Extra activity sources to listen to, beyond the platform's own and the framework's.</summary>
    public IList<string> AdditionalSources { get; } = [];

    /// <summary>Extra meters to listen to.</summary>
    public IList<string> AdditionalMeters { get; } = [];
}
