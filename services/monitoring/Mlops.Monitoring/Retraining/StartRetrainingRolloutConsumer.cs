using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Monitoring;

namespace Mlops.Monitoring.Retraining;

/// <summary>Starts the registry's canary rollout of a candidate that passed the promotion policy.</summary>
public sealed class StartRetrainingRolloutConsumer(RegistryClient registry, IOptions<RetrainingOptions> options, ILogger<StartRetrainingRolloutConsumer> logger)
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
                () => registry.StartRolloutAsync(command.ModelName, command.CandidateVersion, options.Value.Rollout, context.CancellationToken),
                options.Value.DependencyRetryLimit, logger, context.CancellationToken);
            await context.Publish(new RetrainingRolloutStarted { RetrainingId = command.RetrainingId, RolloutId = rolloutId });
        }
        catch (RetrainingStepException e)
        {
            await context.Publish(new RetrainingStepFailed { RetrainingId = command.RetrainingId, Step = RetrainingStateMachine.StepRollout, Reason = e.Message });
        }
    }
}
