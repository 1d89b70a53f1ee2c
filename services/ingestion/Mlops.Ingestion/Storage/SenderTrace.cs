using System.Diagnostics;

namespace Mlops.Ingestion.Storage;

/// <summary>The W3C trace context of the request that sent an observation, kept with it in the outbox.</summary>
public readonly record struct SenderTrace(string? TraceParent, string? TraceState, ActivityContext Context)
{
    /// <summary>The ambient activity's context (none: nulls).</summary>
    public static SenderTrace Current => Activity.Current is { } activity
        ? new SenderTrace(activity.Id, activity.TraceStateString, activity.Context)
        : default;
}
