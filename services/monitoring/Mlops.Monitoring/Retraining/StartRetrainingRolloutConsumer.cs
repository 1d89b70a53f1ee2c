using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Settings;

namespace Mlops.Monitoring.Retraining;

/// <summary>Starts the registry's canary rollout of a candidate that passed the promotion policy.</summary>
public sealed class StartRetrainingRolloutConsumer(
    RegistryClient registry, ModelSettingsStore settings, IOptions<RetrainingOptions> options, ILogger<StartRetrainingRolloutConsumer> logger)
    : IConsumer<StartRetrainingRollout>
{
    public async Task Consume(ConsumeContext<StartRetrainingRollout> context)
    {
        var command = context.Message;
        using var activity = MonitoringTelemetry.Source.StartActivity("retraining rollout");
        activity?.SetTag("mlops.retraining_id", command.RetrainingId);
        try
        {
            var rolloutId = await DependencyRetry.WhileRecoveringAsync(RetrainingStateMachine.StepRollout,
                // The model's own plan when one was set for it, else the service-wide one.
                async () => await registry.StartRolloutAsync(command.ModelName, command.CandidateVersion, await settings.RolloutAsync(command.ModelName, context.CancellationToken), context.CancellationToken),
                options.Value.DependencyRetryLimit, logger, context.CancellationToken);
            await context.Publish(new RetrainingRolloutStarted { RetrainingId = command.RetrainingId, RolloutId = rolloutId });
        }
        catch (RetrainingStepException e)
        {
            await context.Publish(new RetrainingStepFailed { RetrainingId = command.RetrainingId, Step = RetrainingStateMachine.StepRollout, Reason = e.Message });
        }
    }
}
