namespace Mlops.Gateway.Dashboard;

/// <summary>
/// One service as the overview shows it: readiness (<c>/health/ready</c>'s status, or why it did not answer), and
/// from <c>/metrics</c> the requests and 5xx answers so far and per second since the previous poll.
/// </summary>
public sealed record ServiceStatus(
    string Service, string Address, string Health, string? Detail, double? RequestsTotal, double? ErrorsTotal,
    double? RequestsPerSecond, double? ErrorsPerSecond, DateTimeOffset CheckedAt);

/// <summary>What the live feed pushes: every service, and a version per watched list that moves when the list changes.</summary>
public sealed record FeedSnapshot(long Sequence, DateTimeOffset At, IReadOnlyList<ServiceStatus> Services, IReadOnlyDictionary<string, long> Topics);
