namespace Mlops.Features.Computation;

/// <summary>
/// One observation as the feature computation needs it: what, when it happened, and when it became known — the
/// source's available time when it gave one, else the time ingestion recorded it.
/// </summary>
public readonly record struct ObservationPoint(string ObservationId, string Code, double Value, DateTimeOffset EventTime, DateTimeOffset KnownAt);
