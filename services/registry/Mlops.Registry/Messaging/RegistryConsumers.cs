using MassTransit;
using Microsoft.Extensions.Logging;
using Mlops.Contracts.Registry;
using Mlops.Registry.Application;
using Mlops.Registry.Domain;

namespace Mlops.Registry.Messaging;

/// <summary>
/// Shared handling of registry commands from the bus: an invalid command changes nothing and is answered with a
/// published <see cref="RegistryCommandRejected"/> (retrying would not make it valid); a concurrency conflict is
/// thrown so the endpoint's retry runs the command again against the new state.
/// </summary>
public abstract class RegistryCommandConsumer<T>(ILogger logger) : IConsumer<T>
    where T : class
{
    public async Task Consume(ConsumeContext<T> context)
    {
        try
        {
            await Handle(context.Message, context.CancellationToken);
        }
        catch (Exception ex) when (ex is RegistryValidationException or RegistryNotFoundException)
        {
            var errors = ex is RegistryValidationException v ? v.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")).ToList() : [ex.Message];
            logger.LogWarning("Refused {Command} for {Model}: {Errors}", typeof(T).Name, ModelName(context.Message), string.Join("; ", errors));
            // A command without a model name is refused too; the rejection still carries one (empty), or no reader could deserialise it.
            await context.Publish(new RegistryCommandRejected
            {
                Command = typeof(T).Name, ModelName = ModelName(context.Message) ?? "", Errors = errors, TrainingRunId = TrainingRunId(context.Message),
            }, publish => publish.InitiatorId = context.MessageId); // the answer names the command it answers
        }
    }

    protected abstract Task Handle(T command, CancellationToken cancellationToken);

    protected abstract string ModelName(T command);

    /// <summary>The training run a refusal goes back to (its pipeline waits for the answer); none for most commands.</summary>
    protected virtual string? TrainingRunId(T command) => null;
}

public sealed class RegisterModelVersionConsumer(ModelRegistry registry, ILogger<RegisterModelVersionConsumer> logger) : RegistryCommandConsumer<RegisterModelVersion>(logger)
{
    protected override async Task Handle(RegisterModelVersion command, CancellationToken cancellationToken)
    {
        // The registry treats the same version with the same artifact as a redelivery and publishes nothing. From
        // another training run that is a clash, not a redelivery: that run would wait for a confirmation that never comes.
        var state = ModelDecisions.NamePattern().IsMatch(command.ModelName ?? "") && !string.IsNullOrEmpty(command.Version)
            ? await registry.GetAsync(command.ModelName!, cancellationToken: cancellationToken)
            : null;
        if (state?.Versions.GetValueOrDefault(command.Version!)?.Registration is { } existing
            && existing.ArtifactSha256 == command.ArtifactSha256 && existing.TrainingRunId != command.TrainingRunId)
        {
            throw RegistryValidationException.For(nameof(command.Version),
                $"version {command.Version} is already registered (by training run {existing.TrainingRunId}); versions are immutable");
        }

        await registry.RegisterAsync(command, cancellationToken);
    }

    protected override string ModelName(RegisterModelVersion command) => command.ModelName;

    protected override string? TrainingRunId(RegisterModelVersion command) => command.TrainingRunId;
}

public sealed class RequestPromotionConsumer(ModelRegistry registry, ILogger<RequestPromotionConsumer> logger) : RegistryCommandConsumer<RequestPromotion>(logger)
{
    protected override Task Handle(RequestPromotion command, CancellationToken cancellationToken) => registry.RequestPromotionAsync(command, cancellationToken);

    protected override string ModelName(RequestPromotion command) => command.ModelName;
}

public sealed class ApprovePromotionConsumer(ModelRegistry registry, ILogger<ApprovePromotionConsumer> logger) : RegistryCommandConsumer<ApprovePromotion>(logger)
{
    protected override Task Handle(ApprovePromotion command, CancellationToken cancellationToken) => registry.ApproveAsync(command, cancellationToken);

    protected override string ModelName(ApprovePromotion command) => command.ModelName;
}

public sealed class RejectPromotionConsumer(ModelRegistry registry, ILogger<RejectPromotionConsumer> logger) : RegistryCommandConsumer<RejectPromotion>(logger)
{
    protected override Task Handle(RejectPromotion command, CancellationToken cancellationToken) => registry.RejectAsync(command, cancellationToken);

    protected override string ModelName(RejectPromotion command) => command.ModelName;
}

public sealed class RollBackConsumer(ModelRegistry registry, ILogger<RollBackConsumer> logger) : RegistryCommandConsumer<RollBack>(logger)
{
    protected override Task Handle(RollBack command, CancellationToken cancellationToken) => registry.RollBackAsync(command, cancellationToken);

    protected override string ModelName(RollBack command) => command.ModelName;
}

public sealed class SetTrafficSplitConsumer(ModelRegistry registry, ILogger<SetTrafficSplitConsumer> logger) : RegistryCommandConsumer<SetTrafficSplit>(logger)
{
    protected override Task Handle(SetTrafficSplit command, CancellationToken cancellationToken) => registry.SetTrafficSplitAsync(command, cancellationToken);

    protected override string ModelName(SetTrafficSplit command) => command.ModelName;
}
