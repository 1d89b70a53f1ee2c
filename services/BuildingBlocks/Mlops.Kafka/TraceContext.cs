using System.Diagnostics;

namespace Mlops.Kafka;

/// <summary>W3C trace context as carried in the envelope (the local broker has no record headers).</summary>
public static class TraceContext
{
    /// <summary>The <c>traceparent</c> of an activity, or null when it has no W3C id.</summary>
    public static string? TraceParentOf(Activity? activity) =>
        activity is { IdFormat: ActivityIdFormat.W3C } ? activity.Id : null;

    /// <summary>Parses a <c>traceparent</c>/<c>tracestate</c> pair; default when absent or malformed.</summary>
    public static ActivityContext Parse(string? traceParent, string? traceState)
    {
        if (string.IsNullOrWhiteSpace(traceParent))
        {
            return default;
        }

        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
    }
}
