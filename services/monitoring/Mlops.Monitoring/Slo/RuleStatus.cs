namespace Mlops.Monitoring.Slo;

/// <summary>One burn-rate rule applied to one SLO: both windows' burn and whether the rule fires.</summary>
public sealed record RuleStatus(string Severity, double BurnRateThreshold, WindowBurn Long, WindowBurn Short, bool Firing);
