using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Monitoring;
using Mlops.Monitoring.Settings;

namespace Mlops.Monitoring.Retraining;

/// <summary>Frees the model when its retraining ended and starts the cooldown (the model's own, else the service's).</summary>
public sealed class RetrainingCompletedConsumer(RetrainingStore store, ModelSettingsStore settings, IOptions<RetrainingOptions> options) : IConsumer<RetrainingCompleted>
{
    public async Task Consume(ConsumeContext<RetrainingCompleted> context)
    {
        var message = context.Message;
        var cooldown = (await settings.RetrainingAsync(message.ModelName, context.CancellationToken))?.Cooldown ?? options.Value.Cooldown;
        await store.ReleaseAsync(message.ModelName, message.RetrainingId, message.FinishedAt, cooldown, context.CancellationToken);
    }
}
