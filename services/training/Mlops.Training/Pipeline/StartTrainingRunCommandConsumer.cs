using MassTransit;
using Microsoft.Extensions.Logging;
using Mlops.Contracts.Training;
using Mlops.Training.Api;

namespace Mlops.Training.Pipeline;

/// <summary>
/// Receives <see cref="StartTrainingRun"/> sent to its command queue (<c>CommandQueues.AddressOf&lt;StartTrainingRun&gt;()</c>,
/// <c>start-training-run</c>) and publishes it, which is how the pipeline saga subscribes; so a sender following the
/// command-queue convention reaches the saga as a publisher does. The queue is bound to nothing: only sends arrive.
/// A command the HTTP API would refuse is refused here too, with the same reasons: it starts nothing and is answered
/// with <see cref="TrainingRunFailed"/> at step <see cref="RequestStep"/> (retrying would not make it valid).
/// </summary>
public sealed class StartTrainingRunCommandConsumer(ILogger<StartTrainingRunCommandConsumer> logger, TimeProvider clock) : IConsumer<StartTrainingRun>
{
    /// <summary>The step a run refused before it started is reported at.</summary>
    public const string RequestStep = "Request";

    public async Task Consume(ConsumeContext<StartTrainingRun> context)
    {
        var command = context.Message;
        var errors = TrainingApi.Validate(new TrainingApi.StartRunRequest(
            command.ModelName, command.ModelVersion, command.FeatureSetVersion, command.DatasetVersion, command.LabelName, command.Algorithm,
            command.Hyperparameters?.ToDictionary(), command.SearchSpace?.ToList(), command.SearchTrials, command.Seed, command.RequestedBy,
            command.SubgroupFeature, command.Features?.ToList(), command.CompareWithVersion, command.LabelsFrom), clock.GetUtcNow());
        if (command.RunId == Guid.Empty)
        {
            errors["runId"] = ["runId is required (the sender chooses it to follow the run)"];
        }

        if (errors.Count == 0)
        {
            await context.Publish(command);
            return;
        }

        var reason = "invalid StartTrainingRun: " + string.Join("; ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")));
        logger.LogWarning("Refused StartTrainingRun {RunId}: {Reason}", command.RunId, reason);
        await context.Publish(
            new TrainingRunFailed { RunId = command.RunId, ModelName = command.ModelName ?? "", Step = RequestStep, Reason = reason },
            publish => publish.InitiatorId = context.MessageId); // the answer names the command it answers
    }
}
