using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mlops.EventStore;

/// <summary>Spans and metrics of the event store.</summary>
public static class EventStoreTelemetry
{
    /// <summary>Name of the activity source and meter.</summary>
    public const string Name = "Mlops.EventStore";

    /// <summary>Append, load, dispatch and subscription spans.</summary>
    public static readonly ActivitySource Source = new(Name);

    static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> Appended = Meter.CreateCounter<long>("mlops.eventstore.appended", "{event}", "Events committed.");
    internal static readonly Counter<long> Conflicts = Meter.CreateCounter<long>("mlops.eventstore.conflicts", "{append}", "Appends refused for a wrong expected version.");
    internal static readonly Counter<long> Dispatched = Meter.CreateCounter<long>("mlops.eventstore.outbox.dispatched", "{event}", "Outbox events acknowledged by the broker.");
    internal static readonly Counter<long> Handled = Meter.CreateCounter<long>("mlops.eventstore.subscription.handled", "{event}", "Events handled by catch-up subscriptions.");
    internal static readonly Histogram<double> AppendDuration = Meter.CreateHistogram<double>("mlops.eventstore.append.duration", "s", "Time to commit one append.");
}
