using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Mlops.Inference.Models;

namespace Mlops.Inference.Deployments;

/// <summary>
/// At start, asks the registry for every model's current deployment and applies each (events follow from then on),
/// so a pod started after a deployment serves it. A registry that does not answer is transient: retried in the
/// background with growing pauses, and readiness says so meanwhile — Degraded, not Unhealthy, like the fallback: the
/// pod still answers (its local models, the rule for the default model) and must not be restarted for it.
/// </summary>
public sealed class DeploymentBootstrapper(
    RegistryDeploymentsClient registry,
    DeploymentApplier applier,
    IOptions<InferenceOptions> options,
    ILogger<DeploymentBootstrapper> logger) : BackgroundService, IHealthCheck
{
    volatile string? _waiting = "The registry's deployments have not been read yet.";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var deployment in await registry.ListAsync(stoppingToken))
                {
                    await ApplyAsync(deployment, stoppingToken);
                }

                _waiting = null;
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                _waiting = $"The registry at {options.Value.RegistryBaseAddress} did not answer ({ex.Message}); retrying.";
                logger.LogWarning("Registry deployments not read ({Reason}); retrying in {Delay}", ex.Message, delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.Value.MaxRetryDelay.Ticks));
            }
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_waiting is { } reason ? HealthCheckResult.Degraded(reason) : HealthCheckResult.Healthy("Deployments read from the registry."));

    async Task ApplyAsync(CurrentDeployment deployment, CancellationToken cancellationToken)
    {
        try
        {
            await applier.ApplyAsync(deployment.ModelName, deployment.Routes, deployment.Revision, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not HttpRequestException)
        {
            // One model that cannot be loaded (its host records why) must not keep the others from being served.
            logger.LogError(ex, "Deployment of {Model} revision {Revision} not applied", deployment.ModelName, deployment.Revision);
        }
    }
}
