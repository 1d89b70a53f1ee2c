using MassTransit;
using Mlops.Contracts.Registry;

namespace Mlops.Monitoring.Profiles;

/// <summary>
/// Stores a newly registered version's evaluation metrics (the baseline of its outcome-based performance) and copies its reference profile from its training run into monitoring's database, so drift is
/// judged against what that version was trained on. A training service that does not answer throws, and the message is
/// retried; a run without a profile is logged and the version is monitored for nothing until one is stored.
/// </summary>
public sealed class ModelVersionRegisteredConsumer(
    TrainingProfileClient training, ReferenceProfileStore profiles, Performance.PerformanceStore baselines, ILogger<ModelVersionRegisteredConsumer> logger)
    : IConsumer<ModelVersionRegistered>
{
    public async Task Consume(ConsumeContext<ModelVersionRegistered> context)
    {
        var registered = context.Message;
        using var activity = MonitoringTelemetry.Source.StartActivity("monitoring.profile.store");
        activity?.SetTag("mlops.model", registered.ModelName);
        activity?.SetTag("mlops.model_version", registered.Version);
        // The evaluation metrics first: performance is judged against them even when no profile comes.
        await baselines.SaveBaselineAsync(registered.ModelName, registered.Version, registered.Metrics, context.CancellationToken);
        var profile = await training.GetAsync(registered.TrainingRunId, context.CancellationToken);
        if (profile is null)
        {
            logger.LogWarning(
                "Model {Model} {Version}: training run {Run} has no reference profile; its drift cannot be judged",
                registered.ModelName, registered.Version, registered.TrainingRunId);
            return;
        }

        await profiles.SaveAsync(registered.ModelName, registered.Version, profile, context.CancellationToken);
        logger.LogInformation(
            "Model {Model} {Version}: reference profile stored ({Features} features, {Rows} training rows)",
            registered.ModelName, registered.Version, profile.Features.Count, profile.TrainingRows);
    }
}
