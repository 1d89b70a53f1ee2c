using Microsoft.Extensions.Options;

namespace Mlops.Inference.Models;

/// <summary>Loads the configured model at start; without one (or when it fails) the fallback rule answers.</summary>
public sealed class ModelLoader(ModelHost host, IOptions<InferenceOptions> options, ILogger<ModelLoader> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var deployment = options.Value.Models.FirstOrDefault();
        if (deployment is null)
        {
            host.MarkNoModel("No model is configured (Inference:Models).");
            logger.LogWarning("No model is configured; the rule-based fallback answers");
            return;
        }

        try
        {
            await host.LoadAsync(deployment, stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("Starting in degraded mode: the rule-based fallback answers until a model loads");
        }
    }
}
