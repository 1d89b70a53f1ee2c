using MassTransit;
using Mlops.Contracts.Training;

namespace Mlops.Training.Pipeline;

/// <summary>
/// Receives <see cref="CancelTrainingRun"/> sent to its command queue (<c>cancel-training-run</c>) and publishes it: the
/// saga and the running-step canceller both subscribe to the published message.
/// </summary>
public sealed class CancelTrainingRunCommandConsumer : IConsumer<CancelTrainingRun>
{
    public Task Consume(ConsumeContext<CancelTrainingRun> context) => context.Publish(context.Message);
}
