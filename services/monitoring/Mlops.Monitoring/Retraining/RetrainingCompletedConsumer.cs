using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Monitoring;

namespace Mlops.Monitoring.Retraining;

/// <summary>Frees the model when its retraining ended and starts the cooldown.</summary>
public sealed class RetrainingCompletedConsumer(RetrainingStore store, IOptions<RetrainingOptions> options) : IConsumer<RetrainingCompleted>
{
    public Task Consume(ConsumeContext<RetrainingCompleted> context) =>
        store.ReleaseAsync(context.Message.ModelName, context.Message.RetrainingId, context.Message.FinishedAt, options.Value.Cooldown, context.CancellationToken);
}
