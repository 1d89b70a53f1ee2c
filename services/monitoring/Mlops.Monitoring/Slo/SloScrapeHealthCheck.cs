using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mlops.Monitoring.Slo;

/// <summary>
/// Reports inference pods whose metrics cannot be read under <c>/health/ready</c>, as Degraded at most: monitoring still
/// serves drift and performance without them, and inference being down is inference's own readiness to report.
/// </summary>
internal sealed class SloScrapeHealthCheck(SloScrapeStatus status) : IHealthCheck
{
    public const string Name = "inference-metrics";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failing = status.Failing;
        if (failing.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy("every inference pod's metrics were read"));
        }

        var description = string.Join("; ", failing.Select(f => string.Create(CultureInfo.InvariantCulture,
            $"{f.Instance} unreadable since {f.Since:HH:mm:ss} UTC: {f.Reason}")));
        return Task.FromResult(new HealthCheckResult(HealthStatus.Degraded, description));
    }
}
