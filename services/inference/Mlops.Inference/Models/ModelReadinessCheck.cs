using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mlops.Inference.Models;

/// <summary>
/// Ready only with a warm model of the default model (any variant this pod serves); degraded (still answering, by
/// rule) when none could be loaded.
/// </summary>
public sealed class ModelReadinessCheck(ModelCatalog catalog) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var host = catalog.Primary(catalog.DefaultName) ?? catalog.Default;
        return Task.FromResult(host.State switch
        {
            ModelHostState.Serving => HealthCheckResult.Healthy($"Serving {host.Current?.Name} {host.Current?.Version} ({host.Variant})."),
            ModelHostState.Fallback => HealthCheckResult.Degraded("No model loaded; the rule-based fallback answers. " + host.LastError),
            _ => HealthCheckResult.Unhealthy("The model is still loading and warming."),
        });
    }
}
