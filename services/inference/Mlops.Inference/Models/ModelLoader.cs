using Microsoft.Extensions.Options;
using Mlops.Contracts.Registry;

namespace Mlops.Inference.Models;

/// <summary>
/// Loads the local artifacts (<c>Inference:LocalModels</c>) at start. Until the default model has a version (from
/// here or from the registry), the fallback rule answers for it. An entry naming a deployment alias as its variant
/// (<c>challenger</c>, <c>shadow</c>) is served as that variant, so a pod without a registry can serve a split or a
/// mirror; any other entry (<c>local</c>, as by default) is served where the champion is.
/// </summary>
public sealed class ModelLoader(ModelCatalog catalog, IOptions<InferenceOptions> options, ILogger<ModelLoader> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var deployment in options.Value.LocalModels)
        {
            try
            {
                await catalog.Host(deployment.Name, HostVariant(deployment.Variant)).LoadAsync(deployment, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning("Local model {Model} {Version} not loaded: {Reason}", deployment.Name, deployment.Version, ex.Message);
            }
        }

        if (catalog.Default.Current is null)
        {
            var reason = options.Value.RegistryBaseAddress is null
                ? $"No version of '{catalog.DefaultName}' is configured and the registry is not followed."
                : $"No version of '{catalog.DefaultName}' loaded yet; waiting for the registry's deployment.";
            catalog.Default.MarkNoModel(catalog.Default.LastError ?? reason);
            logger.LogWarning("{Reason} The rule-based fallback answers for it meanwhile", reason);
        }
    }

    static string HostVariant(string variant) =>
        variant is ModelAliases.Challenger or ModelAliases.Shadow ? variant : ModelAliases.Champion;
}
