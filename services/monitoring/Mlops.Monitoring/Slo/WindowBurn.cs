namespace Mlops.Monitoring.Slo;

/// <summary>
/// How fast one window spent an SLO's budget: <see cref="Bad"/> of <see cref="Total"/> requests, their ratio and that
/// ratio over the budget. Ratio and burn rate are null when the window saw no requests (no traffic burns nothing).
/// </summary>
public sealed record WindowBurn(TimeSpan Window, long Bad, long Total, double? BadRatio, double? BurnRate);
