using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mlops.Registry.Rollouts;

/// <summary>Spans and metrics of rollouts (<c>Mlops.Registry.Rollouts</c>).</summary>
public static class RolloutTelemetry
{
    public const string Name = "Mlops.Registry.Rollouts";

    public static readonly ActivitySource Source = new(Name);

    static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> Analyses = Meter.CreateCounter<long>("mlops.registry.rollout.analyses", "{analysis}", "Rollout analyses by verdict.");
    internal static readonly Counter<long> Finished = Meter.CreateCounter<long>("mlops.registry.rollout.finished", "{rollout}", "Rollouts that reached an outcome.");
    internal static readonly Histogram<double> MeasurementDuration = Meter.CreateHistogram<double>("mlops.registry.rollout.measurement.duration", "ms", "Time to take one rollout measurement.");
}
