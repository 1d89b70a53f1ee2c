namespace Mlops.Monitoring.Slo;

/// <summary>
/// One SLO of one model version now: its kind (<c>availability</c> or <c>latency</c>), objective, the latency bound
/// requests are held to (null for availability, and when no histogram bucket reaches the configured threshold) and
/// every rule's windows.
/// </summary>
public sealed record SloStatus(
    string ModelName, string ModelVersion, string Kind, double Objective, double? LatencyThresholdMs, DateTimeOffset EvaluatedAt,
    IReadOnlyList<RuleStatus> Rules);
