using MassTransit;
using Mlops.Contracts.Training;

namespace Mlops.Training.Pipeline;

/// <summary>
/// Receives <see cref="StartTrainingRun"/> sent to its command queue (<c>CommandQueues.AddressOf&lt;StartTrainingRun&gt;()</c>,
/// <c>start-training-run</c>) and publishes it, which is how the pipeline saga subscribes; so a sender following the
/// command-queue convention reaches the saga as a publisher does. The queue is bound to nothing: only sends arrive.
/// </summary>
public sealed class StartTrainingRunCommandConsumer : IConsumer<StartTrainingRun>
{
    public Task Consume(ConsumeContext<StartTrainingRun> context) => context.Publish(context.Message);
}
