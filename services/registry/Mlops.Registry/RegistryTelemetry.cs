using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mlops.Registry;

/// <summary>Spans and metrics of the registry.</summary>
public static class RegistryTelemetry
{
    public const string Name = "Mlops.Registry";

    public static readonly ActivitySource Source = new(Name);

    static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> Commands = Meter.CreateCounter<long>("mlops.registry.commands", "{command}", "Registry commands applied.");
    internal static readonly Counter<long> Conflicts = Meter.CreateCounter<long>("mlops.registry.conflicts", "{append}", "Appends refused because the model changed concurrently.");
    internal static readonly Counter<long> Refused = Meter.CreateCounter<long>("mlops.registry.promotions_refused", "{promotion}", "Promotions refused by the policy.");
    internal static readonly Counter<long> TamperedArtifacts = Meter.CreateCounter<long>("mlops.registry.artifacts_tampered", "{read}", "Artifact reads refused for a hash mismatch.");
    internal static readonly Counter<long> Published = Meter.CreateCounter<long>("mlops.registry.events_published", "{event}", "Registry events acknowledged by a broker (tag transport: bus or kafka).");
}
