using MassTransit;
using Mlops.Contracts.Registry;

namespace Mlops.Registry.Rollouts;

/// <summary>Records each published rollout event in the model's registry history (<see cref="RolloutHistory"/>).</summary>
public sealed class RolloutHistoryConsumer(RolloutHistory history) :
    IConsumer<RolloutStepStarted>, IConsumer<RolloutStepAnalysed>, IConsumer<RolloutPaused>,
    IConsumer<RolloutRolledBack>, IConsumer<RolloutAborted>, IConsumer<RolloutPromoted>
{
    public Task Consume(ConsumeContext<RolloutStepStarted> context) =>
        history.RecordAsync(context.Message, $"step {context.Message.Step + 1} at {context.Message.TrafficPercent} %: {context.Message.Reason}", context.CancellationToken);

    public Task Consume(ConsumeContext<RolloutStepAnalysed> context) =>
        history.RecordAsync(context.Message, $"step {context.Message.Step + 1} analysis {context.Message.Analysis}: {context.Message.Verdict}", context.CancellationToken);

    public Task Consume(ConsumeContext<RolloutPaused> context) => history.RecordAsync(context.Message, context.Message.Reason, context.CancellationToken);

    public Task Consume(ConsumeContext<RolloutRolledBack> context) => history.RecordAsync(context.Message, context.Message.Reason, context.CancellationToken);

    public Task Consume(ConsumeContext<RolloutAborted> context) => history.RecordAsync(context.Message, context.Message.Reason, context.CancellationToken);

    public Task Consume(ConsumeContext<RolloutPromoted> context) => history.RecordAsync(context.Message, context.Message.Reason, context.CancellationToken);
}
