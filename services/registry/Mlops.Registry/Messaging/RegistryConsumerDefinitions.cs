using MassTransit;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Registry;

namespace Mlops.Registry.Messaging;

/// <summary>Each command's consumer listens on the command's queue as <see cref="CommandQueues"/> names it, the name every sender uses.</summary>
public abstract class RegistryConsumerDefinition<TConsumer, TCommand> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer<TCommand>
    where TCommand : class
{
    protected RegistryConsumerDefinition() => EndpointName = CommandQueues.NameOf<TCommand>();
}

public sealed class RegisterModelVersionConsumerDefinition : RegistryConsumerDefinition<RegisterModelVersionConsumer, RegisterModelVersion>;

public sealed class RequestPromotionConsumerDefinition : RegistryConsumerDefinition<RequestPromotionConsumer, RequestPromotion>;

public sealed class ApprovePromotionConsumerDefinition : RegistryConsumerDefinition<ApprovePromotionConsumer, ApprovePromotion>;

public sealed class RejectPromotionConsumerDefinition : RegistryConsumerDefinition<RejectPromotionConsumer, RejectPromotion>;

public sealed class RollBackConsumerDefinition : RegistryConsumerDefinition<RollBackConsumer, RollBack>;

public sealed class SetTrafficSplitConsumerDefinition : RegistryConsumerDefinition<SetTrafficSplitConsumer, SetTrafficSplit>;
