namespace Mlops.Features.Computation;

/// <summary>One observation as the feature computation needs it: what, when it happened, and when it became known.</summary>
public readonly record struct ObservationPoint(string ObservationId, string Code, double Value, DateTimeOffset EventTime, DateTimeOffset RecordedAt);
