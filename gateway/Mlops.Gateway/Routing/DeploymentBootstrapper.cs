using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Mlops.Gateway.Routing;

/// <summary>
/// At start, reads every model's deployment from the registry into the <see cref="DeploymentTable"/>; events follow
/// from then on (the table keeps whichever revision is newer, so an event that arrives during the read is not lost).
/// A registry that does not answer is retried with growing pauses; readiness is Degraded meanwhile — the gateway
/// still forwards (every request to the champion, without a variant header) and must not be restarted for it.
/// </summary>
public sealed class DeploymentBootstrapper(
    RegistryDeploymentsClient registry,
    DeploymentTable table,
    IOptions<VariantRoutingOptions> options,
    ILogger<DeploymentBootstrapper> logger) : BackgroundService, IHealthCheck
{
    volatile string? _waiting = "The registry's deployments have not been read yet.";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ReadAsync(stoppingToken);
                _waiting = null;
                delay = TimeSpan.FromMilliseconds(250);

                // The replica's queue is deleted with its connection: events published while the broker connection
                // was down never reach it. Reading the list again now and then closes that gap (older revisions are ignored).
                await Task.Delay(options.Value.ResyncInterval, stoppingToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !stoppingToken.IsCancellationRequested)
            {
                if (_waiting is not null)
                {
                    _waiting = $"The registry at {options.Value.RegistryBaseAddress} did not answer with its deployments ({ex.Message}); retrying.";
                }

                logger.LogWarning("Registry deployments not read ({Reason}); retrying in {Delay}", ex.Message, delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.Value.MaxRetryDelay.Ticks));
            }
        }
    }

    async Task ReadAsync(CancellationToken cancellationToken)
    {
        var deployments = await registry.ListAsync(cancellationToken);
        var applied = 0;
        foreach (var deployment in deployments)
        {
            var isNewer = table.Apply(deployment.ModelName, deployment.Revision, deployment.Routes);
            applied += isNewer ? 1 : 0;
            RoutingTelemetry.Deployments.Add(1, new("source", "registry"), new("outcome", isNewer ? "applied" : "ignored"));
        }

        logger.Log(applied > 0 ? LogLevel.Information : LogLevel.Debug, "Read {Count} deployments from the registry, {Applied} newer than known", deployments.Count, applied);
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_waiting is { } reason ? HealthCheckResult.Degraded(reason) : HealthCheckResult.Healthy("Deployments read from the registry; following DeploymentChanged."));
}
